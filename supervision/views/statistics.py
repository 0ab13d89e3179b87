"""Statistics with charts (Heyuan 四(八); Shantou 一(一)4): volumes, per-unit rates, recurring problems."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from petitions.access import jurisdiction_ids_under
from petitions.views.staff.common import staff_only
from supervision import selectors
from supervision.forms import PeriodForm
from supervision.policy import policy_for

from .common import scope


@require_GET
@staff_only()
def statistics(request: HttpRequest) -> HttpResponse:
    """Default: the last 12 months of the user's whole jurisdiction."""
    s = scope(request)
    today = timezone.localdate()
    form = PeriodForm(request.GET or None, jurisdictions=s.jurisdictions(), today=today)
    if form.is_bound and not form.is_valid():
        return render(request, "supervision/staff/statistics.html", {"form": form}, status=400)
    period = form.period() if form.is_bound else selectors.Period.last_months(today)
    chosen = form.cleaned_data.get("jurisdiction") if form.is_bound else None
    visible = s.visible
    if chosen is not None:
        visible = visible.filter(jurisdiction_id__in=jurisdiction_ids_under(chosen))
    where = chosen or s.jurisdiction
    stats = selectors.statistics(visible, period, policy_for(where))
    context = {"form": form, "stats": stats, "where": where}
    return render(request, "supervision/staff/statistics.html", context)
