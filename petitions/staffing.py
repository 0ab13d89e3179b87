"""Which roles a jurisdiction lacks (docs/rules.md §1: each level runs the mechanism for itself).

Read by the system check `petitions.W010`–`W013` (petitions/checks.py) and shown to a superuser on
the organisation units' admin list, with the same words. Warnings, never refusals: a level without
its own task force is run by its parent's (petitions/levels.py `run_by`), which is how a city starts
before its districts are onboarded.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from petitions import levels
from petitions.models import JURISDICTION_KINDS, OrgUnit, Role, UnitKind, User

NO_TASK_FORCE = "petitions.W010"
NO_LEADER = "petitions.W011"
NO_DEPARTMENT = "petitions.W012"
NO_SUPERVISION = "petitions.W013"


@dataclass(frozen=True)
class Gap:
    id: str  # the system check's id
    jurisdiction: OrgUnit
    message: str
    hint: str


class _Tree:
    """Every unit and every active official's (role, unit), read once (two queries)."""

    def __init__(self) -> None:
        self.units = {
            u.pk: u for u in OrgUnit.objects.only("pk", "name", "kind", "parent_id", "is_active")
        }
        self.accounts = set(
            User.objects.filter(
                is_active=True,
                unit__isnull=False,
                role__in=(Role.TASK_FORCE, Role.LEADER, Role.HANDLER, Role.SUPERVISOR),
            ).values_list("role", "unit_id")
        )

    def home(self, unit_id: int | None) -> int | None:
        """The nearest jurisdiction at or above a unit."""
        unit = self.units.get(unit_id) if unit_id is not None else None
        while unit is not None and unit.kind not in JURISDICTION_KINDS:
            unit = self.units.get(unit.parent_id) if unit.parent_id else None
        return unit.pk if unit is not None else None

    def above(self, jurisdiction: OrgUnit) -> list[OrgUnit]:
        """The jurisdictions above this one, nearest first."""
        chain = []
        unit = self.units.get(jurisdiction.parent_id) if jurisdiction.parent_id else None
        while unit is not None:
            if unit.kind in JURISDICTION_KINDS:
                chain.append(unit)
            unit = self.units.get(unit.parent_id) if unit.parent_id else None
        return chain

    def with_role(self, role: str) -> set[int]:
        """The jurisdictions with an active account of this role in one of their units."""
        return {self.home(unit_id) for r, unit_id in self.accounts if r == role} - {None}


def gaps() -> list[Gap]:
    """Per active jurisdiction (by kind, then name), the roles nobody holds there."""
    tree = _Tree()
    leaders = tree.with_role(Role.LEADER)
    supervised = tree.with_role(Role.SUPERVISOR)
    # As levels.run_by counts them: an active task-force account whose unit sits directly under.
    task_forces = {tree.units[u].parent_id for r, u in tree.accounts if r == Role.TASK_FORCE}
    handled = {
        tree.units[u].parent_id
        for r, u in tree.accounts
        if r == Role.HANDLER
        and tree.units[u].kind == UnitKind.DEPARTMENT
        and tree.units[u].is_active
    }
    staffed_offices = {u for r, u in tree.accounts if r == Role.SUPERVISOR}
    jurisdictions = sorted(
        (u for u in tree.units.values() if u.kind in JURISDICTION_KINDS and u.is_active),
        key=lambda u: (u.kind, u.name, u.pk),
    )
    found: list[Gap] = []
    for jurisdiction in jurisdictions:
        if jurisdiction.pk not in task_forces:
            found.append(_no_task_force(jurisdiction))
        if jurisdiction.pk not in leaders:
            found.append(_no_leader(jurisdiction, _nearest(tree.above(jurisdiction), leaders)))
        if jurisdiction.pk not in handled:
            found.append(
                Gap(
                    NO_DEPARTMENT,
                    jurisdiction,
                    _(
                        "%(name)s has no department with an active handler account: nobody there "
                        "can confirm or handle its petitions."
                    )
                    % {"name": jurisdiction.name},
                    _("Add a department under %(name)s and a handler account in it.")
                    % {"name": jurisdiction.name},
                )
            )
        offices = [
            u
            for u in tree.units.values()
            if u.parent_id == jurisdiction.pk and u.kind == UnitKind.SUPERVISION and u.is_active
        ]
        if jurisdiction.pk not in supervised:
            gap = _no_supervision(
                jurisdiction,
                [u for u in offices if u.pk not in staffed_offices],
                _nearest(tree.above(jurisdiction), supervised),
            )
            if gap is not None:
                found.append(gap)
    return found


def _nearest(chain: list[OrgUnit], having: set[int]) -> OrgUnit | None:
    return next((u for u in chain if u.pk in having), None)


def _no_task_force(jurisdiction: OrgUnit) -> Gap:
    name = jurisdiction.name
    runner = levels.run_by(jurisdiction)
    if runner.pk != jurisdiction.pk:
        message = _(
            "%(name)s has no active task-force account: the task force of %(runner)s runs it and "
            "gets its notices and digests, marked with its name."
        ) % {"name": name, "runner": runner.name}
    else:
        message = _(
            "%(name)s has no active task-force account, and no level above it has one: its "
            "notices and digests reach nobody."
        ) % {"name": name}
    hint = _(
        "Add a task-force account whose unit is a task-force unit directly under %(name)s."
    ) % {"name": name}
    return Gap(NO_TASK_FORCE, jurisdiction, message, hint)


def _no_leader(jurisdiction: OrgUnit, parent: OrgUnit | None) -> Gap:
    name = jurisdiction.name
    if parent is not None:
        message = _(
            "%(name)s has no active leader account: its petitions can only be submitted for "
            "approval to the leaders of %(parent)s."
        ) % {"name": name, "parent": parent.name}
    else:
        message = _(
            "%(name)s has no active leader account, and no level above it has one: nobody can "
            "approve its petitions."
        ) % {"name": name}
    hint = _("Add a leader account in a leadership unit of %(name)s.") % {"name": name}
    return Gap(NO_LEADER, jurisdiction, message, hint)


def _no_supervision(
    jurisdiction: OrgUnit, empty_offices: list[OrgUnit], parent: OrgUnit | None
) -> Gap | None:
    """Relevant where the level has a supervision office of its own with nobody in it, or where
    no level at or above it has anyone to follow its overdue and key items; a district that leaves
    supervision to its city's office is not warned about."""
    name = jurisdiction.name
    hint = _("Add a supervision-office account in a supervision office of %(name)s.") % {
        "name": name
    }
    if empty_offices:
        message = _("%(name)s: its supervision office %(office)s has no active account.") % {
            "name": name,
            "office": "、".join(u.name for u in empty_offices),
        }
        return Gap(NO_SUPERVISION, jurisdiction, message, hint)
    if parent is None:
        message = _(
            "%(name)s has no supervision-office account, and no level above it has one: nobody "
            "follows its overdue and key items."
        ) % {"name": name}
        return Gap(NO_SUPERVISION, jurisdiction, message, hint)
    return None
