"""The levels of government (docs/rules.md §1): which task force runs a jurisdiction, what a task force
may act on, where a case can be passed up or handed down, and which units a jurisdiction assigns to.

Every jurisdiction (city, district or county, functional zone) runs the mechanism for itself. Its
task force acts on its own cases only; a parent reads its children's cases but acts on them only when
they are passed up, or when the child has no task-force account yet (the parent stands in).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from petitions.models import JURISDICTION_KINDS, OrgUnit, Role, UnitKind, User
from petitions.models.org import jurisdiction_ids_under


def top_of(unit: OrgUnit) -> OrgUnit:
    """The highest jurisdiction above a unit (the city of a district department); a unit outside
    any jurisdiction is its own top, so comparing tops never fails."""
    chain = [unit, *unit.ancestors()]
    return ([u for u in chain if u.is_jurisdiction] or chain)[-1]


def parent_of(jurisdiction: OrgUnit) -> OrgUnit | None:
    """The nearest jurisdiction above this one (a district's city), or None at the top."""
    return next((u for u in jurisdiction.ancestors() if u.is_jurisdiction), None)


def _with_task_force(ids: list[int]) -> set[int]:
    """Which of these jurisdictions have an active task-force account (its unit sits directly under)."""
    return set(
        User.objects.filter(
            role=Role.TASK_FORCE, is_active=True, unit__parent_id__in=ids
        ).values_list("unit__parent_id", flat=True)
    )


def run_by(jurisdiction: OrgUnit) -> OrgUnit:
    """The jurisdiction whose task force runs this one: itself, or the nearest parent with a task
    force when it has none yet; the jurisdiction itself when nobody above has one either."""
    chain = [jurisdiction, *(u for u in jurisdiction.ancestors() if u.is_jurisdiction)]
    staffed = _with_task_force([u.pk for u in chain])
    return next((u for u in chain if u.pk in staffed), jurisdiction)


def acting_ids(unit: OrgUnit | None, role: str = Role.TASK_FORCE) -> set[int]:
    """The jurisdictions whose cases someone of `role` in `unit` acts on: their own, and those below
    that have nobody of that role yet (through an unbroken chain of such) — the task force's cases,
    the leaders' and supervisors' key items (supervision/acting.py). One query: the tree of
    jurisdictions is small (a province has a few hundred)."""
    if unit is None:
        return set()
    top = unit.jurisdiction()
    staffed_here = User.objects.filter(role=role, is_active=True, unit__parent_id=OuterRef("pk"))
    children: dict[int, list[tuple[int, bool]]] = {}
    for pk, parent_id, staffed in (
        OrgUnit.objects.filter(kind__in=JURISDICTION_KINDS)
        .annotate(staffed=Exists(staffed_here))
        .values_list("pk", "parent_id", "staffed")
    ):
        children.setdefault(parent_id, []).append((pk, staffed))
    acting = {top.pk}
    frontier = [top.pk]
    while frontier:
        frontier = [
            pk for parent in frontier for pk, staffed in children.get(parent, ()) if not staffed
        ]
        acting.update(frontier)
    return acting


def children_of(jurisdiction: OrgUnit) -> QuerySet[OrgUnit]:
    """Jurisdictions directly below (a city's districts and zones)."""
    return OrgUnit.objects.filter(
        parent=jurisdiction, kind__in=JURISDICTION_KINDS, is_active=True
    ).order_by("kind", "name")


def descendants_of(jurisdiction: OrgUnit) -> QuerySet[OrgUnit]:
    """Every active jurisdiction below, for handing a case down where it belongs."""
    below = jurisdiction_ids_under(jurisdiction)[1:]
    return OrgUnit.objects.filter(pk__in=below, is_active=True).order_by("kind", "name")


_DEPARTMENT_KINDS = (UnitKind.DEPARTMENT,)
_LOWER_KINDS = (UnitKind.DISTRICT, UnitKind.ZONE)


def lead_units(jurisdiction: OrgUnit) -> QuerySet[OrgUnit]:
    """Who may lead a case of this jurisdiction: its own departments (the city's include the units
    stationed there) and the governments of the districts and zones directly below it."""
    return OrgUnit.objects.filter(
        Q(parent=jurisdiction, kind__in=_DEPARTMENT_KINDS)
        | Q(parent=jurisdiction, kind__in=_LOWER_KINDS),
        is_active=True,
    ).select_related("parent")


def co_units(jurisdiction: OrgUnit) -> QuerySet[OrgUnit]:
    """Who may co-handle: every possible lead, and the departments of the levels directly below, since
    a cross-level matter is handled together (Uxin 二(三); docs/rules.md §1)."""
    return OrgUnit.objects.filter(
        Q(parent=jurisdiction, kind__in=(*_DEPARTMENT_KINDS, *_LOWER_KINDS))
        | Q(parent__parent=jurisdiction, parent__kind__in=_LOWER_KINDS, kind__in=_DEPARTMENT_KINDS),
        is_active=True,
    ).select_related("parent")


def group_label(unit: OrgUnit, jurisdiction: OrgUnit) -> str:
    """Which group a unit is listed under in the assignment form."""
    if unit.kind in _LOWER_KINDS and unit.parent_id == jurisdiction.pk:
        return _("Governments of districts and zones")
    if unit.parent_id != jurisdiction.pk:
        return unit.parent.name if unit.parent else ""
    if unit.is_stationed:
        return _("Central and provincial units stationed here")
    return _("Departments")
