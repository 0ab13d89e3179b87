"""Monthly and quarterly reports (docs/rules.md §5: monthly by the 25th, quarterly by the 10th after the
quarter; Hailar 三(二)) as a print page, PDF and Excel; for a jurisdiction with lower levels, with the
roll-up by level, or for one level only (docs/rules.md §1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

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
from supervision.forms import LevelForm
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


def _level_form(request: HttpRequest) -> LevelForm:
    return LevelForm(request.GET or None, jurisdictions=scope(request).jurisdictions())


def _respond(request: HttpRequest, spec: Spec, fmt: str) -> HttpResponse:
    s = scope(request)
    form = _level_form(request)
    if form.is_bound and not form.is_valid():
        # A jurisdiction outside the user's (another district) is not theirs to report on.
        raise Http404("No such jurisdiction.")
    data = form.cleaned_data if form.is_bound else {}
    levels = s.levels(data.get("jurisdiction"), data.get("own_level", False))
    report = selectors.report(
        s.counted(levels),
        spec.period,
        timezone.localdate(),
        policy_for(levels.top),
        title=spec.title,
        due_on=spec.due,
        levels=levels,
        passed=s.passed_on(levels, spec.period),
    )
    own_level = data.get("own_level", False)
    if fmt == "xlsx":
        data = exports.report_workbook(report, levels.top, own_level=own_level)
        return xlsx_response(data, f"{spec.filename}.xlsx")
    context = {
        "report": report,
        "jurisdiction": levels.top,
        "own_level": own_level,
        "spec": spec,
        "query": _query(form),
        "passed_on_max": selectors.PASSED_ON_MAX,
    }
    if fmt == "pdf":
        pdf = render_pdf(REPORT, context, request)
        return pdf_response(pdf, f"{spec.filename}.pdf", download="download" in request.GET)
    return render(request, REPORT, context)


def _query(form: LevelForm) -> str:
    """The chosen levels as a query string for the report's links ("" for all of the user's)."""
    if not form.is_bound or not form.is_valid():
        return ""
    params = {}
    if form.cleaned_data.get("jurisdiction"):
        params["jurisdiction"] = form.cleaned_data["jurisdiction"].pk
    if form.cleaned_data.get("own_level"):
        params["own_level"] = "on"
    return f"?{urlencode(params)}" if params else ""


def _row(spec: Spec, query: str = "") -> dict:
    return {
        "title": spec.title,
        "due": spec.due,
        "url": spec.url() + query,
        "pdf": spec.url("_pdf") + query,
        "xlsx": spec.url("_xlsx") + query,
    }


@require_GET
@staff_only()
def reports(request: HttpRequest) -> HttpResponse:
    """The last 12 months and the last 8 quarters, newest first, each with its due date; the links
    carry the levels chosen (all of the user's with the roll-up by level, one, or one level only)."""
    today = timezone.localdate()
    form = _level_form(request)
    query = _query(form)
    months = [add_months(today, -n) for n in range(12)]
    current = today.year * 4 + (today.month - 1) // 3
    quarters = [divmod(current - n, 4) for n in range(8)]
    sections = [
        (
            _("Monthly reports"),
            [_row(monthly_spec(m.year, m.month), query) for m in months],
            "monthly",
        ),
        (
            _("Quarterly reports"),
            [_row(quarterly_spec(y, q + 1), query) for y, q in quarters],
            "quarterly",
        ),
    ]
    context = {"sections": sections, "form": form, "levels": len(scope(request).ids) > 1}
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "supervision/staff/reports.html", context, status=status)


@require_GET
@staff_only()
def monthly(request: HttpRequest, year: int, month: int, fmt: str = "html") -> HttpResponse:
    return _respond(request, monthly_spec(year, month), fmt)


@require_GET
@staff_only()
def quarterly(request: HttpRequest, year: int, quarter: int, fmt: str = "html") -> HttpResponse:
    return _respond(request, quarterly_spec(year, quarter), fmt)
