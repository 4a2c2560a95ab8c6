"""StaffProfile now lives in `accounts` (its migration 0001 took the state, the table and
the content type); the console keeps no model."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("console", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="StaffProfile")],
        ),
    ]
