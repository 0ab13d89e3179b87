from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from zqztc import backup


class Command(BaseCommand):
    help = (
        "Restore an archive written by `manage.py backup` into an EMPTY database and an empty "
        "MEDIA_ROOT, after checking every file's sha256 and the migration state. "
        'See README.md, "Backup and restore".'
    )
    # The target database is empty: nothing to check against yet, and the checks must not touch it.
    requires_system_checks = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("archive", help='Archive to restore; "-" reads standard input.')
        parser.add_argument(
            "--database", default="default", help="Database alias (default: %(default)s)."
        )

    def handle(self, *args: object, archive: str, database: str, **options: object) -> None:
        try:
            result = backup.restore(archive, using=database)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        manifest = result.manifest
        self.stdout.write(
            f"restored the backup made {manifest['created_at']} "
            f"(version {manifest.get('app_version') or 'unknown'}, "
            f"commit {manifest.get('git_commit') or 'unknown'}): "
            f"{result.petitions} petitions, {result.attachments} attachments, "
            f"{result.media_files} media files (sha256 verified), "
            f"petition number counters {result.counters or '{}'}"
        )
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        if result.pending_migrations:
            self.stdout.write(
                f"The backup predates {len(result.pending_migrations)} migration(s) of this code "
                f"({', '.join(result.pending_migrations)}): run `manage.py migrate` now."
            )
