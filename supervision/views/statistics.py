"""Statistics with charts (Heyuan 四(八); Shantou 一(一)4): volumes, per-unit rates, recurring problems,
and for a jurisdiction with lower levels the roll-up by level (docs/rules.md §1)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

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
    data = form.cleaned_data if form.is_bound else {}
    levels = s.levels(data.get("jurisdiction"), data.get("own_level", False))
    stats = selectors.statistics(s.counted(levels), period, policy_for(levels.top), levels=levels)
    context = {
        "form": form,
        "stats": stats,
        "where": levels.top,
        "own_level": data.get("own_level", False),
        "passed_on": s.passed_on(levels, period),
        "passed_on_max": selectors.PASSED_ON_MAX,
    }
    return render(request, "supervision/staff/statistics.html", context)
