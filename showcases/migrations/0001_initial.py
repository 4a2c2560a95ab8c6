"""The models of this app, moved from `evaluations` with their tables and rows:
the tables keep their names (Meta.db_table), so only Django's state changes here
(SeparateDatabaseAndState), and the content types follow the models."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


APP_LABEL = 'showcases'
MOVED_MODELS = ['companyreply', 'showcase', 'showcaseitem']

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
        ('communities', '0003_search_indexes'),
        ('evaluations', '0011_rating_answer_pattern'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='CompanyReply',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('pending', 'Awaiting review'), ('approved', 'Approved'), ('rejected', 'Rejected')], default='pending', max_length=12, verbose_name='review')),
                        ('review_note', models.CharField(blank=True, max_length=300, verbose_name='review note')),
                        ('submitted_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='submitted')),
                        ('reviewed_at', models.DateTimeField(blank=True, null=True, verbose_name='reviewed')),
                        ('text', models.TextField(max_length=1000, verbose_name='reply')),
                        ('company', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='replies', to='communities.propertycompany', verbose_name='company')),
                        ('enrollment', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='replies', to='evaluations.enrollment', verbose_name='enrollment')),
                        ('reviewed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('submitted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'company reply',
                        'verbose_name_plural': 'company replies',
                        'db_table': 'evaluations_companyreply',
                        'ordering': ['-submitted_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Showcase',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('headline', models.CharField(blank=True, max_length=200, verbose_name='headline')),
                        ('subheadline', models.CharField(blank=True, max_length=200, verbose_name='subheadline')),
                        ('enrollment', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='showcase', to='evaluations.enrollment', verbose_name='enrollment')),
                    ],
                    options={
                        'verbose_name': 'showcase',
                        'verbose_name_plural': 'showcases',
                        'db_table': 'evaluations_showcase',
                    },
                ),
                migrations.CreateModel(
                    name='ShowcaseItem',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('pending', 'Awaiting review'), ('approved', 'Approved'), ('rejected', 'Rejected')], default='pending', max_length=12, verbose_name='review')),
                        ('review_note', models.CharField(blank=True, max_length=300, verbose_name='review note')),
                        ('submitted_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='submitted')),
                        ('reviewed_at', models.DateTimeField(blank=True, null=True, verbose_name='reviewed')),
                        ('kind', models.CharField(choices=[('photo', 'Photo with caption'), ('figure', 'Figure'), ('highlight', 'Highlight'), ('story', 'Story')], max_length=12, verbose_name='kind')),
                        ('title', models.CharField(blank=True, max_length=200, verbose_name='title')),
                        ('body', models.TextField(blank=True, verbose_name='text')),
                        ('figure_value', models.PositiveIntegerField(blank=True, null=True, verbose_name='number')),
                        ('figure_unit', models.CharField(blank=True, max_length=20, verbose_name='unit')),
                        ('image', models.ImageField(blank=True, null=True, upload_to='showcases/%Y/', verbose_name='photo')),
                        ('image_small', models.ImageField(blank=True, null=True, upload_to='showcases/%Y/')),
                        ('image_medium', models.ImageField(blank=True, null=True, upload_to='showcases/%Y/')),
                        ('image_width', models.PositiveIntegerField(blank=True, null=True)),
                        ('image_height', models.PositiveIntegerField(blank=True, null=True)),
                        ('image_is_illustration', models.BooleanField(default=False, help_text='Drawn for the demonstration, not a photograph of the community.', verbose_name='illustration')),
                        ('order', models.PositiveSmallIntegerField(default=0, verbose_name='order')),
                        ('criterion', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='evaluations.criterion', verbose_name='criterion')),
                        ('reviewed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('showcase', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='showcases.showcase', verbose_name='showcase')),
                        ('submitted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'showcase item',
                        'verbose_name_plural': 'showcase items',
                        'db_table': 'evaluations_showcaseitem',
                        'ordering': ['showcase', 'order', 'id'],
                        'permissions': [('moderate_showcase', 'Approve or reject showcase material')],
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
