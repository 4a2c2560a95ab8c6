"""StaffProfile, moved from `console` with its table and rows: the table keeps its name
(Meta.db_table, the name it had in `evaluations`), so only Django's state changes here
(SeparateDatabaseAndState), and the content type follows the model (a group's
permissions and the admin's history keep pointing at it)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

APP_LABEL = "accounts"
MOVED_MODELS = ["staffprofile"]


def _move_content_types(apps, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED_MODELS:
        old = ContentType.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue
        # A content type made for the new label meanwhile (a partial migrate) gives way.
        ContentType.objects.filter(app_label=target, model=model).delete()
        old.app_label = target
        old.save(update_fields=["app_label"])


def forwards(apps, schema_editor):
    _move_content_types(apps, "console", APP_LABEL)


def backwards(apps, schema_editor):
    _move_content_types(apps, APP_LABEL, "console")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("console", "0001_initial"),
        ("communities", "0004_names_in_english_and_pinyin"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="StaffProfile",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("role", models.CharField(choices=[("city", "City bureau"), ("district", "District reviewer"), ("company", "Property company staff")], max_length=12, verbose_name="role")),
                        ("company", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="communities.propertycompany", verbose_name="company")),
                        ("districts", models.ManyToManyField(blank=True, related_name="+", to="communities.district", verbose_name="districts")),
                        ("user", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="staff_profile", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "staff profile",
                        "verbose_name_plural": "staff profiles",
                        "db_table": "evaluations_staffprofile",
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
