from argparse import ArgumentParser
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from petitions import imports


class Command(BaseCommand):
    help = "Delete uploaded import workbooks that were previewed but never imported or cancelled."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--older-than-hours",
            type=float,
            default=imports.PURGE_AFTER.total_seconds() / 3600,
            help="Delete uploads older than this (default: %(default)s hours; an upload can be "
            "imported within an hour of its preview).",
        )

    def handle(self, *args: object, older_than_hours: float, **options: object) -> None:
        if older_than_hours < 0:
            raise CommandError("--older-than-hours cannot be negative.")
        deleted = imports.purge_stale_uploads(older_than=timedelta(hours=older_than_hours))
        self.stdout.write(f"deleted {deleted}")
