"""Monthly and quarterly reports (SPEC §5: monthly by the 25th, quarterly by the 10th after the
quarter; 003 三(二)) as a print page, PDF and Excel."""

from __future__ import annotations

from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from petitions.pdf import pdf_response, render_pdf
from supervision import exports, selectors
from supervision.policy import policy_for
from supervision.selectors import Period, add_months

from .common import scope, supervision_only, xlsx_response

REPORT = "print/supervision/report.html"
MONTHLY_DUE_DAY = 25
QUARTERLY_DUE_DAY = 10


def _check(year: int, number: int, top: int) -> None:
    if not (2000 <= year <= 2100 and 1 <= number <= top):
        raise Http404("No such period.")


def _monthly(year: int, month: int) -> tuple[Period, str, date, str]:
    _check(year, month, 12)
    period = Period.month(year, month)
    label = date_format(period.start, "YEAR_MONTH_FORMAT")
    title = _("Monthly report on ZQZTC petitions, %(period)s") % {"period": label}
    due = add_months(period.start, 1).replace(day=MONTHLY_DUE_DAY)
    return period, title, due, f"report-{year}-{month:02d}"


def _quarterly(year: int, quarter: int) -> tuple[Period, str, date, str]:
    _check(year, quarter, 4)
    period = Period.quarter(year, quarter)
    label = _("%(year)d Q%(quarter)d") % {"year": year, "quarter": quarter}
    title = _("Quarterly report on ZQZTC petitions, %(period)s") % {"period": label}
    due = add_months(period.start, 3).replace(day=QUARTERLY_DUE_DAY)
    return period, title, due, f"report-{year}-q{quarter}"


def _context(request: HttpRequest, spec: tuple[Period, str, date, str]) -> dict:
    period, title, due, filename = spec
    s = scope(request)
    report = selectors.report(
        s.visible,
        period,
        timezone.localdate(),
        policy_for(s.jurisdiction),
        title=title,
        due_on=due,
    )
    return {"report": report, "jurisdiction": s.jurisdiction, "filename": filename}


def _respond(request: HttpRequest, spec: tuple[Period, str, date, str], fmt: str) -> HttpResponse:
    context = _context(request, spec)
    if fmt == "pdf":
        pdf = render_pdf(REPORT, context, request)
        return pdf_response(pdf, f"{context['filename']}.pdf", download="download" in request.GET)
    if fmt == "xlsx":
        data = exports.report_workbook(context["report"], context["jurisdiction"])
        return xlsx_response(data, f"{context['filename']}.xlsx")
    return render(request, REPORT, context)


@require_GET
@supervision_only()
def reports(request: HttpRequest) -> HttpResponse:
    """The last 12 months and the last 8 quarters, newest first, each with its due date."""
    today = timezone.localdate()
    months = []
    for n in range(12):
        first = add_months(today, -n)
        period, title, due, _name = _monthly(first.year, first.month)
        months.append({"year": first.year, "number": first.month, "title": title, "due": due})
    quarters = []
    current = (today.month - 1) // 3 + 1
    for n in range(8):
        index = today.year * 4 + current - 1 - n
        year, quarter = index // 4, index % 4 + 1
        period, title, due, _name = _quarterly(year, quarter)
        quarters.append({"year": year, "number": quarter, "title": title, "due": due})
    return render(
        request, "supervision/staff/reports.html", {"months": months, "quarters": quarters}
    )


@require_GET
@supervision_only()
def monthly(request: HttpRequest, year: int, month: int, fmt: str = "html") -> HttpResponse:
    return _respond(request, _monthly(year, month), fmt)


@require_GET
@supervision_only()
def quarterly(request: HttpRequest, year: int, quarter: int, fmt: str = "html") -> HttpResponse:
    return _respond(request, _quarterly(year, quarter), fmt)
