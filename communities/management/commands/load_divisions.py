"""python manage.py load_divisions [--file CSV] [--city CODE]

China's administrative divisions (GB/T 2260) into the districts table, from the data
file in the repository (communities/data/divisions.csv, with its source), so that a
fresh database needs no demo data: `migrate`, `load_divisions`, `create_staff`.
Idempotent: a district already there (by its code) is updated, never doubled; districts
not in the file are left alone.
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from communities.models import District
from communities.validators import validate_division_code

DATA_FILE = Path(__file__).resolve().parents[2] / "data" / "divisions.csv"
COLUMNS = ("code", "name", "name_en", "city_code", "city_name")


def read_divisions(path: Path) -> list[dict[str, str]]:
    try:
        text = path.read_text("utf-8-sig")
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}") from None
    rows = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    reader = csv.DictReader(rows)
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise CommandError(f"{path}: the header must be {','.join(COLUMNS)}")
    divisions = []
    for number, row in enumerate(reader, start=2):
        values = {key: (row.get(key) or "").strip() for key in COLUMNS}
        try:
            validate_division_code(values["code"])
            validate_division_code(values["city_code"])
        except ValidationError as error:
            raise CommandError(f"{path}, row {number}: {' '.join(error.messages)}") from None
        if not values["name"]:
            raise CommandError(f"{path}, row {number}: the name is missing")
        divisions.append(values)
    return divisions


class Command(BaseCommand):
    help = "Load China's administrative divisions (at least Wuhan's districts) from the data file."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=DATA_FILE)
        parser.add_argument("--city", help="only this city's districts (e.g. 420100)")

    @transaction.atomic
    def handle(self, *args, file: Path, city: str | None, **options):
        divisions = read_divisions(file)
        if city:
            divisions = [d for d in divisions if d["city_code"] == city]
            if not divisions:
                raise CommandError(f"No divisions of city {city} in {file}.")
        created = updated = 0
        for division in divisions:
            code = division.pop("code")
            _district, was_created = District.objects.update_or_create(code=code, defaults=division)
            created += was_created
            updated += not was_created
        self.stdout.write(f"districts: {created} created, {updated} already there (updated)")
