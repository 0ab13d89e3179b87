"""What every supervision view shares: the user's jurisdictions, paging, files.

Who may enter is `staff_only` (petitions/views/staff/common.py): the same readers as every /staff/ page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header

from petitions.access import jurisdiction_ids_under
from petitions.models import OrgUnit, Petition, PetitionQuerySet, Role
from supervision import selectors

FOLLOWERS = (Role.TASK_FORCE, Role.SUPERVISOR)
PER_PAGE = 25
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Scope:
    """The user's jurisdiction, every jurisdiction under it, and the petitions they may see."""

    jurisdiction: OrgUnit
    ids: list[int]
    visible: PetitionQuerySet

    def handling_units(self) -> QuerySet[OrgUnit]:
        """Units that lead petitions here: departments and lower governments under these jurisdictions."""
        return (
            OrgUnit.objects.handling_units()
            .filter(parent_id__in=self.ids, is_active=True)
            .order_by("kind", "name")
        )

    def jurisdictions(self) -> QuerySet[OrgUnit]:
        return OrgUnit.objects.filter(pk__in=self.ids).order_by("kind", "name")

    def levels(self, chosen: OrgUnit | None = None, own_level: bool = False) -> selectors.Levels:
        """The levels a page counts: the chosen jurisdiction (else the user's) with every level below
        it, or only its own level."""
        where = chosen or self.jurisdiction
        if own_level:
            return selectors.Levels(where, [where.pk])
        if where.pk == self.jurisdiction.pk:
            return selectors.Levels(where, self.ids)
        return selectors.Levels(where, jurisdiction_ids_under(where))

    def counted(self, levels: selectors.Levels) -> PetitionQuerySet:
        """The petitions a page counts: those these levels run now. A case a level passed up counts
        where it is now (docs/rules.md §1); `passed_on` lists it for the level that passed it."""
        return self.visible.filter(jurisdiction_id__in=levels.ids)

    def passed_on(self, levels: selectors.Levels, period: selectors.Period) -> list[Petition]:
        """What the user's levels passed up in the period, on the pages about all of the user's levels
        or its own; none to look for at the top (a city has nothing above to pass to)."""
        if levels.top.pk != self.jurisdiction.pk or self.jurisdiction.parent_id is None:
            return []
        return selectors.passed_on(self.visible, self.ids, period)


def scope(request: HttpRequest) -> Scope:
    """Built once per request (the jurisdiction tree is read once)."""
    if not hasattr(request, "_supervision_scope"):
        unit = request.user.unit
        request._supervision_scope = Scope(
            jurisdiction=unit.jurisdiction(),
            ids=jurisdiction_ids_under(unit),
            visible=Petition.objects.visible_to(request.user),
        )
    return request._supervision_scope


def paginate(request: HttpRequest, queryset: QuerySet, per_page: int = PER_PAGE) -> Page:
    """One page of a list: a count and a page query."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
