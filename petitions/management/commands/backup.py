from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from zqztc import backup


class Command(BaseCommand):
    help = (
        "Write the database (pg_dump --format=custom, or a copy of the SQLite file), every file "
        "under MEDIA_ROOT and a manifest into one .tar.gz archive. See README.md, "
        '"Backup and restore".'
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--output",
            required=True,
            help="Archive to write, e.g. /backups/zqztc-2026-12-01.tar.gz; never overwritten. "
            '"-" writes it to standard output (docker compose exec -T ...).',
        )
        parser.add_argument(
            "--database", default="default", help="Database alias (default: %(default)s)."
        )

    def handle(self, *args: object, output: str, database: str, **options: object) -> None:
        try:
            result = backup.backup(output, using=database)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        manifest = result.manifest
        # With --output - the archive is on stdout; the report goes to stderr.
        report = self.stderr if result.path is None else self.stdout
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        report.write(
            f"backed up to {result.path or 'standard output'}: {manifest['petitions']} petitions, "
            f"{len(manifest['attachments'])} attachments, {len(manifest['media_files'])} media files, "
            f"counters {manifest['petition_number_counters'] or '{}'}"
        )
