"""`python manage.py load_demo`: the Shantou demo — a city, two districts and a zone, thirty firms,
accounts, ~100 petitions.

Reference data comes from `fixtures/demo.json`. Petitions are then driven through
`petitions.workflow` — the only way to change a petition's state — into every state, each step run
at a plausible past moment (time-machine) so that deadlines are realistic and some petitions are
overdue today. The scenarios and the player are in petitions/demo/; this command only checks that it
may run.

Idempotent: when the demo is already loaded (the `zhuanban` account exists) the command only lists
the accounts. The shared password is for the demo only: the command refuses to run unless DEBUG is on
or `--i-know-this-is-not-production` is given. The staff groups come from `manage.py setup_roles`.
"""

from __future__ import annotations

import functools
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from petitions import roles
from petitions.demo import player
from petitions.demo.summary import summary
from petitions.demo.world import MARKER_USERNAME, read_data
from petitions.models import User


class Command(BaseCommand):
    help = (
        "Load the demo data (org tree, firms, accounts, ~100 petitions in every state); idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="not_production",
            help="Load the demo although DEBUG is off (e.g. a staging or test server).",
        )

    def handle(self, *args: object, **options: object) -> None:
        if not (settings.DEBUG or options["not_production"]):
            raise CommandError(
                "Refusing to load the demo data: DEBUG is off, so this may be a production "
                "database. The demo creates a superuser and some sixty accounts whose password is "
                "published. If this is not production, run again with "
                "--i-know-this-is-not-production."
            )
        data = read_data()
        # What `manage.py setup_roles` does; also on a loaded demo, whose groups may predate the table.
        roles.apply()
        with translation.override(settings.LANGUAGE_CODE):
            if User.objects.filter(username=MARKER_USERNAME).exists():
                self.stdout.write("The demo data is already loaded; nothing was changed.\n")
                summary(data, self.stdout.write)
                return
            try:
                # Each step runs at a past moment; time-machine comes from the `demo` extra.
                import time_machine
            except ImportError as error:
                raise CommandError(
                    "load_demo needs time-machine, from the demo extra: pip install -e '.[demo]' "
                    "(make run installs it from requirements/run.lock)"
                ) from error
            started = time.monotonic()
            player.load(data, functools.partial(time_machine.travel, tick=False))
            summary(data, self.stdout.write)
            self.stdout.write(
                self.style.SUCCESS(f"Demo loaded in {time.monotonic() - started:.1f} s.")
            )
