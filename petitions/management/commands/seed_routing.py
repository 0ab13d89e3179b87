from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from petitions import routing
from petitions.models import OrgUnit, RoutingRule


class Command(BaseCommand):
    help = (
        "Add the default routing rule (theme → lead unit, docs/rules.md §10) for every theme a "
        "jurisdiction has no rule for yet, in every active jurisdiction or only the one named. "
        "Existing rules are left as they are, so running it again adds nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--jurisdiction",
            metavar="NAME",
            help="Only this city, district or zone, by its name (e.g. 龙湖区).",
        )

    def handle(self, *args: object, jurisdiction: str | None, **options: object) -> None:
        found = OrgUnit.objects.jurisdictions().filter(is_active=True).order_by("kind", "name")
        if jurisdiction:
            found = found.filter(name=jurisdiction.strip())
            if not found:
                raise CommandError(f"No active jurisdiction is named {jurisdiction!r}.")
            if len(found) > 1:
                # Names are unique only under one parent: refuse rather than guess.
                raise CommandError(f"{len(found)} jurisdictions are named {jurisdiction!r}.")
        total = 0
        for unit in found:
            with transaction.atomic():
                before = set(
                    RoutingRule.objects.filter(jurisdiction=unit).values_list("pk", flat=True)
                )
                added = routing.seed_defaults(unit)
                new = (
                    RoutingRule.objects.filter(jurisdiction=unit)
                    .exclude(pk__in=before)
                    .select_related("theme", "unit")
                    .prefetch_related("co_units")
                    .order_by("theme__code")
                )
                self.stdout.write(f"{unit.name}: {added} rule(s) added")
                for rule in new:
                    co = "、".join(u.name for u in rule.co_units.all())
                    line = f"  {rule.theme.name} → {rule.unit.name}"
                    self.stdout.write(f"{line} (co-handling: {co})" if co else line)
            total += added
        self.stdout.write(f"{total} rule(s) added in {len(found)} jurisdiction(s)")
