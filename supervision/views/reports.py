"""Monthly and quarterly reports (docs/rules.md §5: monthly by the 25th, quarterly by the 10th after the
quarter; Hailar 三(二)) as a print page, PDF and Excel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from petitions.pdf import pdf_response, render_pdf
from petitions.views.staff.common import staff_only
from supervision import exports, selectors
from supervision.policy import policy_for
from supervision.selectors import Period, add_months

from .common import scope, xlsx_response

REPORT = "print/supervision/report.html"
MONTHLY_DUE_DAY = 25
QUARTERLY_DUE_DAY = 10


@dataclass
class Spec:
    """Which report: its period, title, due date, file name and URL name."""

    period: Period
    title: str
    due: date
    filename: str
    url_name: str
    args: tuple[int, int]

    def url(self, suffix: str = "") -> str:
        return reverse(f"supervision:{self.url_name}{suffix}", args=self.args)


def _check(year: int, number: int, top: int) -> None:
    if not (2000 <= year <= 2100 and 1 <= number <= top):
        raise Http404("No such period.")


def monthly_spec(year: int, month: int) -> Spec:
    _check(year, month, 12)
    period = Period.month(year, month)
    label = date_format(period.start, "YEAR_MONTH_FORMAT")
    return Spec(
        period=period,
        title=_("Monthly report on ZQZTC petitions, %(period)s") % {"period": label},
        due=add_months(period.start, 1).replace(day=MONTHLY_DUE_DAY),
        filename=f"report-{year}-{month:02d}",
        url_name="monthly_report",
        args=(year, month),
    )


def quarterly_spec(year: int, quarter: int) -> Spec:
    _check(year, quarter, 4)
    period = Period.quarter(year, quarter)
    label = _("%(year)d Q%(quarter)d") % {"year": year, "quarter": quarter}
    return Spec(
        period=period,
        title=_("Quarterly report on ZQZTC petitions, %(period)s") % {"period": label},
        due=add_months(period.start, 3).replace(day=QUARTERLY_DUE_DAY),
        filename=f"report-{year}-q{quarter}",
        url_name="quarterly_report",
        args=(year, quarter),
    )


def _respond(request: HttpRequest, spec: Spec, fmt: str) -> HttpResponse:
    s = scope(request)
    report = selectors.report(
        s.visible,
        spec.period,
        timezone.localdate(),
        policy_for(s.jurisdiction),
        title=spec.title,
        due_on=spec.due,
    )
    if fmt == "xlsx":
        data = exports.report_workbook(report, s.jurisdiction)
        return xlsx_response(data, f"{spec.filename}.xlsx")
    context = {"report": report, "jurisdiction": s.jurisdiction, "spec": spec}
    if fmt == "pdf":
        pdf = render_pdf(REPORT, context, request)
        return pdf_response(pdf, f"{spec.filename}.pdf", download="download" in request.GET)
    return render(request, REPORT, context)


def _row(spec: Spec) -> dict:
    return {
        "title": spec.title,
        "due": spec.due,
        "url": spec.url(),
        "pdf": spec.url("_pdf"),
        "xlsx": spec.url("_xlsx"),
    }


@require_GET
@staff_only()
def reports(request: HttpRequest) -> HttpResponse:
    """The last 12 months and the last 8 quarters, newest first, each with its due date."""
    today = timezone.localdate()
    months = [add_months(today, -n) for n in range(12)]
    current = today.year * 4 + (today.month - 1) // 3
    quarters = [divmod(current - n, 4) for n in range(8)]
    sections = [
        (_("Monthly reports"), [_row(monthly_spec(m.year, m.month)) for m in months], "monthly"),
        (
            _("Quarterly reports"),
            [_row(quarterly_spec(y, q + 1)) for y, q in quarters],
            "quarterly",
        ),
    ]
    return render(request, "supervision/staff/reports.html", {"sections": sections})


@require_GET
@staff_only()
def monthly(request: HttpRequest, year: int, month: int, fmt: str = "html") -> HttpResponse:
    return _respond(request, monthly_spec(year, month), fmt)


@require_GET
@staff_only()
def quarterly(request: HttpRequest, year: int, quarter: int, fmt: str = "html") -> HttpResponse:
    return _respond(request, quarterly_spec(year, quarter), fmt)
