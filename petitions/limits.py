"""Which time limit applies to a step, and when it falls due (docs/rules.md §5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from petitions import workdays
from petitions.models import (
    DEFAULT_LIMITS,
    LimitRule,
    LimitUnit,
    OrgUnit,
    PetitionType,
    TimeLimitPolicy,
)

REPLY_RULES: dict[str, str] = {
    PetitionType.CONSULTATION: LimitRule.REPLY_CONSULTATION,
    PetitionType.SUGGESTION: LimitRule.REPLY_SUGGESTION,
    PetitionType.COMPLAINT: LimitRule.REPLY_COMPLAINT,
    PetitionType.COORDINATION: LimitRule.REPLY_COORDINATION,
}


@dataclass(frozen=True)
class Limit:
    amount: int
    unit: str


@dataclass(frozen=True)
class Due:
    due_on: date
    amount: int
    unit: str
    estimated: bool


def _jurisdiction_chain(jurisdiction: OrgUnit) -> list[OrgUnit]:
    return [u for u in [jurisdiction, *jurisdiction.ancestors()] if u.is_jurisdiction]


def limit_for(rule: str, jurisdiction: OrgUnit | None) -> Limit:
    """The jurisdiction's own policy, else its nearest parent's, else the default row, else the constant."""
    chain = _jurisdiction_chain(jurisdiction) if jurisdiction is not None else []
    rows = {
        row.jurisdiction_id: row
        for row in TimeLimitPolicy.objects.filter(
            Q(jurisdiction__in=chain) | Q(jurisdiction__isnull=True), rule=rule
        )
    }
    for unit in chain:
        if unit.pk in rows:
            return Limit(rows[unit.pk].amount, rows[unit.pk].unit)
    if None in rows:
        return Limit(rows[None].amount, rows[None].unit)
    amount, default_unit, _source = DEFAULT_LIMITS[rule]
    return Limit(amount, default_unit)


def compute_due(start: date, amount: int, unit: str) -> date:
    """`amount` working days after `start`, or `amount` days rolled forward off a rest day."""
    if unit == LimitUnit.WORKING_DAYS:
        return workdays.add_working_days(start, amount)
    return workdays.add_days(start, amount)


def due(rule: str, jurisdiction: OrgUnit | None, start: date, extra: int = 0) -> Due:
    limit = limit_for(rule, jurisdiction)
    due_on = compute_due(start, limit.amount + extra, limit.unit)
    return Due(due_on, limit.amount, limit.unit, workdays.span_is_estimated(start, due_on))


def reply_rule(petition_type: str) -> str:
    return REPLY_RULES[petition_type]


def confirm_rule(unit: OrgUnit) -> str:
    """Every unit of a district or zone (its government and its departments) gets the longer limit
    to confirm, 2 working days unless the jurisdiction sets its own (Shantou 三(二))."""
    return LimitRule.CONFIRM_LOWER if unit.jurisdiction().is_lower_government else LimitRule.CONFIRM


def max_extensions(jurisdiction: OrgUnit | None) -> int:
    return limit_for(LimitRule.MAX_EXTENSIONS, jurisdiction).amount
