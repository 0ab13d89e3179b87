"""The routing catalogue (派单目录, docs/rules.md §10): the proposal shown at assignment, and how often
staff take or replace it, so the task force can see which rules need improving."""

from __future__ import annotations

from django.db.models import F

from petitions.models import OrgUnit, Petition, RoutingRule


def proposal(petition: Petition) -> RoutingRule | None:
    """The rule for the petition's theme in its current jurisdiction, if the catalogue has one."""
    if not petition.theme_id:
        return None
    return (
        RoutingRule.objects.filter(
            jurisdiction_id=petition.jurisdiction_id, theme_id=petition.theme_id
        )
        .select_related("unit", "theme")
        .prefetch_related("co_units")
        .first()
    )


def record_choice(petition: Petition, chosen: OrgUnit) -> None:
    """Count the proposal as taken or overridden; an update, so the rule's history stays clean."""
    if not petition.theme_id:
        return
    rules = RoutingRule.objects.filter(
        jurisdiction_id=petition.jurisdiction_id, theme_id=petition.theme_id
    )
    rules.update(times_proposed=F("times_proposed") + 1)
    rules.exclude(unit=chosen).update(times_overridden=F("times_overridden") + 1)
