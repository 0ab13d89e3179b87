"""Shared shape of the job commands: `--on YYYY-MM-DD` reruns a job for a past day."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone


class JobCommand(BaseCommand):
    job: Callable[[date], dict]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--on", help="The day to run for (YYYY-MM-DD); default today.")

    def handle(self, *args: object, **options: object) -> None:
        on = timezone.localdate()
        if options["on"]:
            try:
                on = date.fromisoformat(str(options["on"]))
            except ValueError:
                raise CommandError(
                    f"--on must be a date like 2026-11-25, not {options['on']!r}"
                ) from None
        result = type(self).job(on)
        self.stdout.write(json.dumps(result, ensure_ascii=False, default=str))
