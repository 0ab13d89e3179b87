"""Open, close, extend and recompute the deadlines of a petition's steps (docs/rules.md §5; docs/conventions.md C3).

Due dates are computed once, stored, and queried by column. `Petition.due_on` mirrors the earliest
open deadline so that inboxes and sweeps need one indexed column.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from petitions import limits, workdays
from petitions.models import Deadline, OrgUnit, Petition


def open_step(
    petition: Petition, *, step: str, rule: str, start: date, jurisdiction: OrgUnit | None = None
) -> Deadline:
    """Open a step's deadline under the petition's jurisdiction's limits, or another level's (a
    district unit confirms within the district's limit, docs/rules.md §5)."""
    due = limits.due(rule, jurisdiction or petition.jurisdiction, start)
    return Deadline.objects.create(
        petition=petition,
        step=step,
        rule=rule,
        start_on=start,
        amount=due.amount,
        unit=due.unit,
        due_on=due.due_on,
        estimated=due.estimated,
    )


def open_deadline(petition: Petition, step: str) -> Deadline | None:
    return petition.deadlines.filter(step=step, closed_at__isnull=True).first()


def close_step(petition: Petition, *, step: str, at: datetime) -> None:
    petition.deadlines.filter(step=step, closed_at__isnull=True).update(closed_at=at)


def close_all(petition: Petition, *, at: datetime) -> None:
    petition.deadlines.filter(closed_at__isnull=True).update(closed_at=at)


def refresh_due(petition: Petition) -> None:
    """Mirror the earliest open deadline on the petition (the caller saves it)."""
    first = petition.deadlines.filter(closed_at__isnull=True).order_by("due_on", "pk").first()
    petition.due_on = first.due_on if first else None
    petition.due_step = first.step if first else ""


def extend(deadline: Deadline, amount: int) -> tuple[date, date]:
    """Move a deadline by `amount` more of its own unit; returns (before, after)."""
    before = deadline.due_on
    deadline.extra += amount
    deadline.due_on = limits.compute_due(
        deadline.start_on, deadline.amount + deadline.extra, deadline.unit
    )
    deadline.estimated = workdays.span_is_estimated(deadline.start_on, deadline.due_on)
    deadline.save(update_fields=["extra", "due_on", "estimated"])
    return before, deadline.due_on


def recompute(deadline: Deadline) -> tuple[date, date]:
    """Compute a deadline again on today's calendar (after staff confirm a year)."""
    before = deadline.due_on
    deadline.due_on = limits.compute_due(
        deadline.start_on, deadline.amount + deadline.extra, deadline.unit
    )
    deadline.estimated = workdays.span_is_estimated(deadline.start_on, deadline.due_on)
    deadline.save(update_fields=["due_on", "estimated"])
    return before, deadline.due_on


def annotate_days_left(rows: Iterable[Any], today: date, attr: str = "due_on") -> None:
    """Set `days_left` (working days; negative when overdue) on each row, with one calendar query."""
    rows = [r for r in rows if getattr(r, attr, None)]
    if not rows:
        return
    dues = [getattr(r, attr) for r in rows]
    cal = workdays.Calendar(min([today, *dues]), max([today, *dues]))
    for row in rows:
        row.days_left = cal.between(today, getattr(row, attr))
