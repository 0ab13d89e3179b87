"""工作台账: every assigned petition and its close-out (销号), with its Excel export (Pingdingshan 三(二))."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from petitions import deadlines
from petitions.views.staff.common import staff_only
from supervision import exports, selectors
from supervision.forms import LedgerFilter

from .common import paginate, scope, xlsx_response

EXPORT_MAX_ROWS = 20000


def _filter(request: HttpRequest, today: date) -> LedgerFilter:
    s = scope(request)
    return LedgerFilter(
        request.GET or None,
        queryset=selectors.ledger(s.visible, today),
        units=s.handling_units(),
        today=today,
    )


@require_GET
@staff_only()
def ledger(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    found = _filter(request, today)
    page = paginate(request, found.qs)
    deadlines.annotate_days_left(page.object_list, today, attr="reply_due_on")
    labels = dict(selectors.Closeout.choices)
    for row in page.object_list:
        row.closeout_label = labels[row.closeout]
    thursday, _monday = selectors.progress_week(today)
    context = {"filter": found, "page": page, "thursday": thursday, "today": today}
    return render(
        request, "supervision/staff/ledger.html", context, status=400 if found.errors else 200
    )


@require_GET
@staff_only()
def ledger_export(request: HttpRequest) -> HttpResponse:
    """The filtered ledger as .xlsx (at most EXPORT_MAX_ROWS rows, newest first)."""
    today = timezone.localdate()
    rows = _filter(request, today).qs[:EXPORT_MAX_ROWS]
    data = exports.ledger_workbook(rows.iterator(chunk_size=2000), today)
    return xlsx_response(data, f"ledger-{today:%Y%m%d}.xlsx")
