"""`python manage.py setup_roles`: one group per role with exactly the rights of petitions/roles.py.

Run it after every deployment's `migrate` (and whenever petitions/roles.py changes). It creates the
missing groups, adds the permissions the table lists and removes those it no longer lists; a second
run changes nothing. It does not put anyone in a group: a superuser does that in the admin.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from petitions import roles


class Command(BaseCommand):
    help = (
        "Create one group per role (task force, leader, supervision office, department handler) "
        "with exactly the admin permissions of petitions/roles.py; idempotent."
    )

    def handle(self, *args: object, **options: object) -> None:
        try:
            changes = roles.apply()
        except roles.MissingPermissions as e:
            raise CommandError(
                f"petitions/roles.py names permissions that do not exist: {e}. "
                "Run `manage.py migrate` first, or correct the table."
            ) from e
        for change in changes.values():
            if not change.changed:
                self.stdout.write(f"{change.name}: unchanged")
                continue
            verb = "created" if change.created else "updated"
            self.stdout.write(
                self.style.SUCCESS(
                    f"{change.name}: {verb}, {len(change.added)} permissions added, "
                    f"{len(change.removed)} removed"
                )
            )
            for label in change.added:
                self.stdout.write(f"  + {label}")
            for label in change.removed:
                self.stdout.write(f"  - {label}")
