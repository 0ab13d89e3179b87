"""Shared shape of the job commands: `--on YYYY-MM-DD` reruns a job for a past day.

Each command prints what it did in a sentence or two (for the operator), then the job's result as
one line of JSON (for scripts): the last line of the output is always the JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone


def describe_run(name: str, result: dict) -> str:
    """One line about a reminder run (supervision/reminders.py): sent, resumed, already done, caught up."""
    if "skipped" in result:
        skipped = result["skipped"]
        if skipped == "already ran":
            skipped = "already done"
        return f"{name}: {skipped}; nothing sent."
    parts = [f"{name} {result['period']}: told {result['told']}"]
    if result["resumed"]:
        parts.append(f"resumed a run that had not finished ({result['already']} already told)")
    elif result["already"]:
        parts.append(f"{result['already']} already told")
    if result["nobody"]:
        parts.append(f"{result['nobody']} with nobody to tell (recorded as not sent)")
    if result.get("covers"):
        parts.append(f"caught up {', '.join(result['covers'])} (marked late)")
    elif result["late"]:
        parts.append("sent late")
    if result.get("missed_weeks"):
        parts.append(f"missed weeks {', '.join(result['missed_weeks'])} (past, not sent)")
    if result["failed"]:
        parts.append(f"{result['failed']} failed: not finished, the next run tries them again")
    else:
        parts.append("finished")
    return "; ".join(parts) + "."


class JobCommand(BaseCommand):
    job: Callable[[date], dict]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--on", help="The day to run for (YYYY-MM-DD); default today.")

    def describe(self, result: dict) -> str:
        """What the run did, in words; empty for jobs whose JSON says it all."""
        return ""

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
        if summary := self.describe(result):
            self.stdout.write(summary)
        self.stdout.write(json.dumps(result, ensure_ascii=False, default=str))
