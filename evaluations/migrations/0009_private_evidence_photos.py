# Evidence photos (review checks) and objection photos become staff-only: they move
# from the public media storage to the private one (re-encoded without metadata).

import uploads.private_media
from django.db import migrations, models



class Migration(migrations.Migration):

    dependencies = [
        ('evaluations', '0008_rating_quarantine_and_fraud_signals'),
    ]

    operations = [
        migrations.AlterField(
            model_name='objection',
            name='photo',
            field=models.ImageField(blank=True, max_length=200, storage=uploads.private_media.get_private_storage, upload_to='objections/%Y/', verbose_name='photo (optional)'),
        ),
        migrations.AlterField(
            model_name='reviewcheck',
            name='evidence',
            field=models.ImageField(blank=True, max_length=200, storage=uploads.private_media.get_private_storage, upload_to='evidence/%Y/', verbose_name='evidence photo'),
        ),
        migrations.RunPython(
            uploads.private_media.move_public_photos_to_private,
            # Going back leaves them private: evidence is never made public again.
            migrations.RunPython.noop,
        ),
    ]
