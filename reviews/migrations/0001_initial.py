"""The models of this app, moved from `evaluations` with their tables and rows:
the tables keep their names (Meta.db_table), so only Django's state changes here
(SeparateDatabaseAndState), and the content types follow the models."""

import django.db.models.deletion
import django.utils.timezone
import uploads.private_media
from django.conf import settings
from django.db import migrations, models


APP_LABEL = 'reviews'
MOVED_MODELS = ['publication', 'publicationentry', 'objection', 'reviewcheck']

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
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Publication',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('preliminary', 'Preliminary list (public notice)'), ('final', 'Final list')], max_length=12, verbose_name='kind')),
                        ('revision', models.PositiveIntegerField(verbose_name='revision')),
                        ('published_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='published')),
                        ('notice_ends_at', models.DateTimeField(blank=True, null=True, verbose_name='notice period ends')),
                        ('change_note', models.TextField(blank=True, verbose_name='change note')),
                        ('ratings_digest', models.CharField(blank=True, editable=False, max_length=64, verbose_name='digest of the counted ratings')),
                        ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='publications', to='evaluations.campaign', verbose_name='campaign')),
                        ('published_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'publication',
                        'verbose_name_plural': 'publications',
                        'db_table': 'evaluations_publication',
                        'ordering': ['campaign', 'kind', '-revision'],
                    },
                ),
                migrations.CreateModel(
                    name='PublicationEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('community_name', models.CharField(max_length=100, verbose_name='community')),
                        ('community_name_en', models.CharField(blank=True, max_length=150)),
                        ('district_code', models.CharField(max_length=6, verbose_name='division code')),
                        ('district_name', models.CharField(max_length=50, verbose_name='district')),
                        ('district_name_en', models.CharField(blank=True, max_length=80)),
                        ('street_name', models.CharField(blank=True, max_length=50, verbose_name='street')),
                        ('company_name', models.CharField(max_length=200, verbose_name='property company')),
                        ('company_credit_code', models.CharField(blank=True, max_length=18)),
                        ('households', models.PositiveIntegerField(verbose_name='households')),
                        ('responses', models.PositiveIntegerField(verbose_name='responses')),
                        ('satisfied', models.PositiveIntegerField(verbose_name='satisfied responses')),
                        ('status', models.CharField(choices=[('listed', 'On the list'), ('withdrawn', 'Withdrawn')], default='listed', max_length=12, verbose_name='status')),
                        ('withdrawal_reason', models.TextField(blank=True, verbose_name='reason for withdrawal')),
                        ('enrollment', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='publication_entries', to='evaluations.enrollment')),
                        ('publication', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='reviews.publication')),
                    ],
                    options={
                        'verbose_name': 'published entry',
                        'verbose_name_plural': 'published entries',
                        'db_table': 'evaluations_publicationentry',
                        'ordering': ['publication', 'district_code', 'community_name'],
                    },
                ),
                migrations.CreateModel(
                    name='Objection',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('contact_name', models.CharField(max_length=50, verbose_name='your name')),
                        ('contact', models.CharField(help_text='Only the bureau sees it.', max_length=100, verbose_name='phone or e-mail')),
                        ('text', models.TextField(max_length=2000, verbose_name='objection')),
                        ('photo', models.ImageField(blank=True, max_length=200, storage=uploads.private_media.get_private_storage, upload_to='objections/%Y/', verbose_name='photo (optional)')),
                        ('filed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='filed')),
                        ('client_ip', models.GenericIPAddressField(blank=True, null=True)),
                        ('status', models.CharField(choices=[('open', 'Awaiting an answer'), ('upheld', 'Upheld: dropped from the final list'), ('dismissed', 'Dismissed')], default='open', max_length=12, verbose_name='status')),
                        ('answer', models.TextField(blank=True, verbose_name='answer')),
                        ('answered_at', models.DateTimeField(blank=True, null=True, verbose_name='answered')),
                        ('answered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('entry', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='objections', to='reviews.publicationentry')),
                    ],
                    options={
                        'verbose_name': 'objection',
                        'verbose_name_plural': 'objections',
                        'db_table': 'evaluations_objection',
                        'ordering': ['filed_at'],
                        'permissions': [('answer_objection', "Answer objections in one's districts")],
                    },
                ),
                migrations.CreateModel(
                    name='ReviewCheck',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('met', models.BooleanField(verbose_name='met')),
                        ('note', models.CharField(blank=True, max_length=500, verbose_name='note')),
                        ('evidence', models.ImageField(blank=True, max_length=200, storage=uploads.private_media.get_private_storage, upload_to='evidence/%Y/', verbose_name='evidence photo')),
                        ('checked_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='checked')),
                        ('checked_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('criterion', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='evaluations.criterion')),
                        ('enrollment', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='checks', to='evaluations.enrollment', verbose_name='enrollment')),
                        ('prerequisite', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='evaluations.prerequisite')),
                    ],
                    options={
                        'verbose_name': 'review check',
                        'verbose_name_plural': 'review checks',
                        'db_table': 'evaluations_reviewcheck',
                    },
                ),
                migrations.AddConstraint(
                    model_name='publication',
                    constraint=models.UniqueConstraint(fields=('campaign', 'kind', 'revision'), name='publication_revision_unique'),
                ),
                migrations.AddConstraint(
                    model_name='publicationentry',
                    constraint=models.UniqueConstraint(fields=('publication', 'enrollment'), name='entry_once_per_publication'),
                ),
                migrations.AddConstraint(
                    model_name='reviewcheck',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('prerequisite__isnull', True), ('criterion__isnull', False)), models.Q(('prerequisite__isnull', False), ('criterion__isnull', True)), _connector='OR'), name='check_one_subject'),
                ),
                migrations.AddConstraint(
                    model_name='reviewcheck',
                    constraint=models.UniqueConstraint(condition=models.Q(('prerequisite__isnull', False)), fields=('enrollment', 'prerequisite'), name='check_once_per_prerequisite'),
                ),
                migrations.AddConstraint(
                    model_name='reviewcheck',
                    constraint=models.UniqueConstraint(condition=models.Q(('criterion__isnull', False)), fields=('enrollment', 'criterion'), name='check_once_per_criterion'),
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
