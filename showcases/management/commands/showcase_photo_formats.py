"""Give the showcase photos stored before issue 14 their WebP (and AVIF) versions.

    manage.py showcase_photo_formats [--dry-run] [--limit N]

New photos get them when saved (uploads.photos.save_showcase_photo); this reads
back each older photo's JPEGs from the media storage (disk or S3), encodes them and
stores the new files beside them. Safe to run twice and to stop at any point: a
photo that has every format is skipped, one that was cut off is done again.
"""

from django.core.management.base import BaseCommand
from django.db.models import Q

from showcases.models import ShowcaseItem
from uploads.photos import add_modern_formats, item_formats, modern_formats


class Command(BaseCommand):
    help = "Store WebP (and AVIF, where Pillow can) versions of existing showcase photos."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count, write nothing.")
        parser.add_argument("--limit", type=int, default=0, help="At most this many photos.")

    def handle(self, *args, dry_run=False, limit=0, **options):
        formats = modern_formats()
        if not formats:
            self.stdout.write("This Pillow encodes no modern format: nothing to do.")
            return
        items = (
            ShowcaseItem.objects.exclude(Q(image="") | Q(image__isnull=True))
            .order_by("pk")
            .only("pk", "image", "image_small", "image_medium", "image_formats")
        )
        todo = [item for item in items.iterator() if set(formats) - set(item_formats(item))]
        if limit > 0:
            todo = todo[:limit]
        if dry_run:
            self.stdout.write(f"{len(todo)} photo(s) lack {', '.join(formats)}.")
            return
        done = 0
        for item in todo:
            if add_modern_formats(item):
                done += 1
        self.stdout.write(f"{done} of {len(todo)} photo(s) given {', '.join(formats)}.")
