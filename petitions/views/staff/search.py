"""Search across every petition of the jurisdiction, and its export as an Excel ledger (台账)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from petitions.forms.staff import PetitionFilter
from petitions.resources import LedgerResource
from petitions.selectors import staff as selectors
from zqztc import spreadsheets

from .common import paginate, staff_only, visible

EXPORT_MAX_ROWS = 10000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filter(request: HttpRequest) -> PetitionFilter:
    units = selectors.handling_units_queryset(request.user.unit.jurisdiction())
    queryset = (
        visible(request)
        .select_related("enterprise", "theme", "lead_unit")
        .order_by("-received_at", "-pk")
    )
    return PetitionFilter(request.GET or None, queryset=queryset, units=units)


@require_GET
@staff_only()
def search(request: HttpRequest) -> HttpResponse:
    found = _filter(request)
    queryset = found.qs if found.is_bound and found.is_valid() else found.queryset
    page = paginate(request, queryset.prefetch_related("co_units"), timezone.localdate())
    return render(request, "petitions/staff/search.html", {"filter": found, "page": page})


@require_GET
@staff_only()
def export(request: HttpRequest) -> HttpResponse:
    """The search result as an .xlsx ledger, with Chinese column headers."""
    found = _filter(request)
    queryset = found.qs if found.is_bound and found.is_valid() else found.queryset
    queryset = queryset.prefetch_related("co_units", "evaluations")[:EXPORT_MAX_ROWS]
    dataset = LedgerResource().export(queryset=list(queryset))
    dataset.title = "台账"
    # Not dataset.export("xlsx"): tablib would write a title typed as "=…" as a live formula.
    response = HttpResponse(spreadsheets.dataset_workbook(dataset), content_type=XLSX)
    name = f"ledger-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
