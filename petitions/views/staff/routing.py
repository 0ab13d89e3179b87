"""The routing catalogue (派单目录, docs/rules.md §10): theme → default lead unit of the user's own
jurisdiction. The task force keeps it; leaders and supervisors of the jurisdiction read it, since how
often a proposal is overridden is part of supervising the assignment (docs/rules.md §1, §7)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from petitions import levels, routing
from petitions.forms.routing import RoutingRuleForm
from petitions.models import OrgUnit, Role, RoutingRule, Theme
from petitions.views.actions import EmptyForm, run_action

from .common import staff_only, task_force_only

RULE_ERRORS = {"bad_unit": "unit", "bad_co_unit": "co_units"}


def _jurisdiction(request: HttpRequest) -> OrgUnit:
    """The catalogue of the user's own level; with ?level=, a task force may keep that of a level it
    stands in for (one without its own task force, docs/rules.md §1). Any other level: 404."""
    own = request.user.unit.jurisdiction()
    level = request.GET.get("level", "")
    if not level:
        return own
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    if request.user.role != Role.TASK_FORCE or not (level.isascii() and level.isdecimal()):
        raise Http404
    if int(level) not in levels.acting_ids(request.user.unit):
        raise Http404
    return get_object_or_404(OrgUnit, pk=int(level))


def _query(request: HttpRequest, jurisdiction: OrgUnit) -> str:
    own = request.user.unit.jurisdiction()
    return "" if jurisdiction.pk == own.pk else f"?level={jurisdiction.pk}"


def _back(request: HttpRequest, jurisdiction: OrgUnit) -> str:
    return reverse("staff:routing") + _query(request, jurisdiction)


@require_GET
@staff_only()
def catalogue(request: HttpRequest) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    keeper = request.user.role == Role.TASK_FORCE
    context = {
        "jurisdiction": jurisdiction,
        "entries": routing.catalogue(jurisdiction),
        "keeper": keeper,
        "level_query": _query(request, jurisdiction),
        # The levels this task force stands in for keep their catalogue here too.
        "levels": (
            OrgUnit.objects.filter(pk__in=levels.acting_ids(request.user.unit)).order_by(
                "kind", "name"
            )
            if keeper
            else []
        ),
    }
    return render(request, "petitions/staff/routing.html", context)


@require_POST
@task_force_only
def defaults(request: HttpRequest) -> HttpResponse:
    """Fill the themes without a rule with the defaults; the rules already there stay as they are."""
    jurisdiction = _jurisdiction(request)
    added = routing.fill_defaults(actor=request.user, jurisdiction=jurisdiction)
    if added:
        messages.success(
            request,
            ngettext(
                "%(count)d default rule added; the existing rules are unchanged.",
                "%(count)d default rules added; the existing rules are unchanged.",
                added,
            )
            % {"count": added},
        )
    else:
        messages.info(
            request,
            _(
                "No rule added: every theme has a rule already, or no unit of this jurisdiction "
                "matches a default."
            ),
        )
    return redirect(_back(request, jurisdiction))


@require_http_methods(["GET", "POST"])
@task_force_only
def rule(request: HttpRequest, theme_id: int) -> HttpResponse:
    """Create, change or delete the rule of one theme of the user's jurisdiction."""
    jurisdiction = _jurisdiction(request)
    theme = get_object_or_404(Theme, pk=theme_id)
    current = (
        RoutingRule.objects.filter(jurisdiction=jurisdiction, theme=theme)
        .select_related("unit")
        .prefetch_related("co_units")
        .first()
    )
    if current is None and not theme.is_active:
        raise Http404  # a retired theme gets no new rule; an existing one can still be removed
    if request.method == "POST" and "delete" in request.POST:
        outcome = run_action(
            request,
            EmptyForm(request.POST),
            lambda _data: routing.delete_rule(
                actor=request.user, jurisdiction=jurisdiction, theme=theme
            ),
            success=lambda deleted: (
                (
                    _("The rule for “%(theme)s” was removed.")
                    if deleted
                    else _("“%(theme)s” had no rule.")
                )
                % {"theme": theme.name}
            ),
            redirect_to=_back(request, jurisdiction),
        )
        return outcome.response
    if request.method == "POST":
        form = RoutingRuleForm(request.POST, jurisdiction=jurisdiction)
        outcome = run_action(
            request,
            form,
            lambda data: routing.save_rule(
                actor=request.user, jurisdiction=jurisdiction, theme=theme, **data
            ),
            fields=RULE_ERRORS,
            success=_("The rule for “%(theme)s” was saved.") % {"theme": theme.name},
            redirect_to=_back(request, jurisdiction),
        )
        if outcome.response:
            return outcome.response
        status = 400
    else:
        form = RoutingRuleForm(
            jurisdiction=jurisdiction,
            initial={
                "unit": current.unit_id if current else None,
                "co_units": [u.pk for u in current.co_units.all()] if current else [],
                "note": current.note if current else "",
            },
        )
        status = 200
    context = {
        "jurisdiction": jurisdiction,
        "theme": theme,
        "rule": current,
        "form": form,
        "level_query": _query(request, jurisdiction),
    }
    return render(request, "petitions/staff/routing_rule.html", context, status=status)
