"""Recompute the audit chain and name the first broken link (issue 11).

    python manage.py verify_audit [--head HASH ...]

Each entry's hash is recomputed from its content and the hash of the entry before
(evaluations.audit_chain); the first entry whose hash or link does not hold is named
and the command exits with status 1. `--head` takes an audit head published earlier
(on a list page, in open data, on a printed publication notice): it must be one of
the chain's hashes, otherwise entries were removed from the end or the chain was
recomputed after a forgery. A clean run prints "OK" and exits with 0.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from evaluations.chain_check import check_audit_chain


class Command(BaseCommand):
    help = "Recompute the audit chain; name the first broken link; check published heads."

    def add_arguments(self, parser):
        parser.add_argument(
            "--head",
            action="append",
            default=[],
            help="an audit head published earlier (repeatable): it must be in the chain",
        )

    def handle(self, *args, head: list[str], **options):
        report = check_audit_chain()
        if not report.ok:
            self.stderr.write(f"BROKEN {report.problem}")
            raise CommandError(f"The audit chain is broken at entry #{report.broken_at}.")
        missing = [h.strip().lower() for h in head if h.strip().lower() not in report.hashes]
        for published in missing:
            self.stderr.write(f"MISSING published head {published} is not in the chain")
        if missing:
            raise CommandError(
                f"{len(missing)} published head(s) not in the chain: entries were removed "
                "or the chain was recomputed."
            )
        self.stdout.write(f"{report.entries} entries, head {report.head}")
        self.stdout.write(self.style.SUCCESS("OK: every link of the audit chain holds."))
