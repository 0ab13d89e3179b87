"""Monthly sweeps (Shantou 三(五)): the list, one sweep's unresolved items, and its notice (通报)."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from petitions.models import State
from petitions.pdf import pdf_response, render_pdf
from petitions.views.staff.common import staff_only
from supervision import exports, selectors
from supervision.forms import SweepItemFilter
from supervision.models import KeyStatus, Sweep, SweepItem

from .common import paginate, scope, xlsx_response

NOTICE = "print/supervision/notice.html"
NOTICE_MAX_ROWS = 500  # the printed list; the Excel file has them all


@require_GET
@staff_only()
def sweeps(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.sweeps(scope(request).ids), per_page=24)
    return render(request, "supervision/staff/sweeps.html", {"page": page})


def _get_sweep(request: HttpRequest, pk: int) -> Sweep:
    """A sweep that listed something of the user's jurisdictions; any other is a 404."""
    return get_object_or_404(selectors.sweep_for(scope(request).ids), pk=pk)


@require_GET
@staff_only()
def sweep(request: HttpRequest, pk: int) -> HttpResponse:
    s = scope(request)
    found_sweep = _get_sweep(request, pk)
    items = selectors.sweep_items(found_sweep, s.ids)
    levels = s.levels()
    # A city reads its districts' items too (the roll-up, read only: each level acts on its own
    # through key supervision) and may look at one level only (docs/rules.md §1).
    found = SweepItemFilter(
        request.GET or None,
        queryset=items,
        units=s.handling_units(),
        jurisdictions=s.jurisdictions() if levels.rolled_up else None,
    )
    lines, total = selectors.sweep_summary(items)
    page = paginate(request, found.qs)
    _label(page.object_list)
    level_lines, level_total = (
        selectors.sweep_levels(items, levels) if levels.rolled_up else ([], None)
    )
    context = {
        "sweep": found_sweep,
        "filter": found,
        "page": page,
        "lines": lines,
        "total": total,
        "level_lines": level_lines,
        "level_total": level_total,
        "show": request.GET.get("show", ""),
    }
    return render(
        request, "supervision/staff/sweep.html", context, status=400 if found.errors else 200
    )


def _label(items: Iterable[SweepItem]) -> None:
    """Display labels of the state at sweep time and of the key-supervision status (no queries)."""
    states, statuses = dict(State.choices), dict(KeyStatus.choices)
    for item in items:
        item.state_label = states.get(item.state, item.state)
        item.key_label = statuses.get(item.key_status, "")


def notice_title(sweep: Sweep) -> str:
    """E.g. 关于2026年11月政企直通车诉求办理情况的通报."""
    month = date_format(sweep.month, "YEAR_MONTH_FORMAT")
    return _("Notice on the handling of ZQZTC petitions in %(month)s") % {"month": month}


def _notice(request: HttpRequest, pk: int, limit: int | None = NOTICE_MAX_ROWS) -> dict:
    s = scope(request)
    found_sweep = _get_sweep(request, pk)
    items = selectors.sweep_items(found_sweep, s.ids)
    lines, total = selectors.sweep_summary(items)
    overdue = items.filter(working_days_overdue__gt=0)
    overdue = list(overdue[:limit] if limit else overdue)
    _label(overdue)
    return {
        "sweep": found_sweep,
        "title": notice_title(found_sweep),
        "jurisdiction": s.jurisdiction,
        "lines": lines,
        "total": total,
        "overdue": overdue,
        "more": total.overdue - len(overdue),
        "today": timezone.localdate(),
    }


def _filename(sweep: Sweep, extension: str) -> str:
    return f"notice-{sweep.month:%Y-%m}.{extension}"


@require_GET
@staff_only()
def notice(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, NOTICE, _notice(request, pk))


@require_GET
@staff_only()
def notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    context = _notice(request, pk)
    pdf = render_pdf(NOTICE, context, request)
    return pdf_response(pdf, _filename(context["sweep"], "pdf"), download="download" in request.GET)


@require_GET
@staff_only()
def notice_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    context = _notice(request, pk, limit=exports.MAX_ROWS)
    return xlsx_response(exports.notice_workbook(context), _filename(context["sweep"], "xlsx"))
