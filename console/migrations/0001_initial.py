"""The models of this app, moved from `evaluations` with their tables and rows:
the tables keep their names (Meta.db_table), so only Django's state changes here
(SeparateDatabaseAndState), and the content types follow the models."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


APP_LABEL = 'console'
MOVED_MODELS = ['staffprofile']

def _move_content_types(apps, source: str, target: str) -> None:
    """The content types (and so the permissions and admin history) of the moved models
    go with them: a group keeps its permissions, under the new app label."""
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
    _move_content_types(apps, "evaluations", APP_LABEL)


def backwards(apps, schema_editor):
    _move_content_types(apps, APP_LABEL, "evaluations")

class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('evaluations', '0011_rating_answer_pattern'),
        ('communities', '0003_search_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='StaffProfile',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('city', 'City bureau'), ('district', 'District reviewer'), ('company', 'Property company staff')], max_length=12, verbose_name='role')),
                        ('company', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='communities.propertycompany', verbose_name='company')),
                        ('districts', models.ManyToManyField(blank=True, related_name='+', to='communities.district', verbose_name='districts')),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='staff_profile', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'staff profile',
                        'verbose_name_plural': 'staff profiles',
                        'db_table': 'evaluations_staffprofile',
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
