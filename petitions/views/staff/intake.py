"""Intake: the queue of new, returned and accepted petitions; triage; registering on a firm's behalf."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from petitions import workflow
from petitions.forms.staff import AcceptForm, DuplicateForm, RegisterForm, RejectForm
from petitions.models import Petition, State
from petitions.selectors import duplicates
from petitions.selectors import staff as selectors
from petitions.views.actions import run_action

from .common import get_petition, paginate, task_force_only, workable

SEARCH_LIMIT = 20
REGISTER_ERRORS = {
    "forbidden": "enterprise",
    "bad_channel": "channel",
    "bad_type": "type",
    "future": "received_at",
    "too_early": "received_at",
    "duplicate_ref": "channel_ref",
}


@require_GET
@task_force_only
def intake(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    petitions = workable(request)
    page = paginate(request, selectors.intake_queue(petitions, state), timezone.localdate())
    duplicates.flag([p for p in page if p.state == State.REGISTERED], petitions)
    tabs = petitions.filter(state__in=selectors.INTAKE_STATES).aggregate(
        all=Count("pk"),
        **{s: Count("pk", filter=Q(state=s)) for s in selectors.INTAKE_STATES},
    )
    return render(
        request,
        "petitions/staff/intake.html",
        {"page": page, "state": state, "tabs": tabs, "states": selectors.INTAKE_STATES},
    )


def _triage_page(
    request: HttpRequest,
    petition: Petition,
    *,
    accept_form: AcceptForm | None = None,
    reject_form: RejectForm | None = None,
    duplicate_form: DuplicateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    petitions = workable(request)
    context = {
        "petition": petition,
        "matches": duplicates.likely_duplicates(petition, petitions),
        "accept_form": accept_form
        or AcceptForm(
            initial={"type": petition.type, "theme": petition.theme_id, "tier": petition.tier}
        ),
        "reject_form": reject_form or RejectForm(),
        "duplicate_form": duplicate_form or DuplicateForm(petitions=petitions),
    }
    return render(request, "petitions/staff/triage.html", context, status=status)


@require_GET
@task_force_only
def triage(request: HttpRequest, pk: int) -> HttpResponse:
    petition = get_petition(request, pk, act=True)
    if petition.state != State.REGISTERED:
        return redirect("staff:petition", pk=petition.pk)
    return _triage_page(request, petition)


@require_POST
@task_force_only
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    petition = get_petition(request, pk, act=True)
    form = AcceptForm(request.POST)
    outcome = run_action(
        request,
        form,
        lambda data: workflow.accept(
            petition_id=petition.pk,
            actor=request.user,
            type=data["type"],
            theme_id=data["theme"].pk,
            classification=form.classification(),
            tier=data["tier"],
            note=data["note"],
        ),
        fields={"bad_type": "type", "theme_required": "theme"},
        success=_("%(number)s accepted.") % {"number": petition.number},
        redirect_to=reverse("staff:assign", args=[petition.pk]),
    )
    return outcome.response or _triage_page(request, petition, accept_form=form, status=400)


@require_POST
@task_force_only
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    petition = get_petition(request, pk, act=True)
    form = RejectForm(request.POST)
    outcome = run_action(
        request,
        form,
        lambda data: workflow.reject(
            petition_id=petition.pk,
            actor=request.user,
            reason=data["reason"],
            explanation=data["explanation"],
        ),
        fields={"reason_required": "reason", "required": "explanation"},
        success=_("%(number)s was not accepted.") % {"number": petition.number},
        redirect_to="staff:intake",
    )
    return outcome.response or _triage_page(request, petition, reject_form=form, status=400)


@require_POST
@task_force_only
def mark_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    petition = get_petition(request, pk, act=True)
    form = DuplicateForm(request.POST, petitions=workable(request))
    outcome = run_action(
        request,
        form,
        lambda data: workflow.mark_duplicate(
            petition_id=petition.pk,
            actor=request.user,
            original_id=data["original"].pk,
            note=data["note"],
        ),
        fields={"bad_original": "original"},
        success=lambda _petition: (
            _("%(number)s merged into %(original)s.")
            % {"number": petition.number, "original": form.cleaned_data["original"].number}
        ),
        redirect_to="staff:intake",
    )
    return outcome.response or _triage_page(request, petition, duplicate_form=form, status=400)


@require_http_methods(["GET", "POST"])
@task_force_only
def register(request: HttpRequest) -> HttpResponse:
    """Register on a firm's behalf what came by a 12345 transfer, a visit, a call or a meeting."""
    enterprises = selectors.enterprises_for(request.user)
    form = RegisterForm(request.POST or None, enterprises=enterprises)
    if request.method == "POST":
        outcome = run_action(
            request,
            form,
            lambda data: workflow.register(
                actor=request.user,
                enterprise=data["enterprise"],
                channel=data["channel"],
                channel_ref=data["channel_ref"].strip(),
                received_at=data["received_at"],
                type=data["type"],
                theme_id=data["theme"].pk if data["theme"] else None,
                title=data["title"],
                content=data["content"],
                request=data["request"],
            ),
            fields=REGISTER_ERRORS,
            success=lambda petition: _("Registered as %(number)s.") % {"number": petition.number},
            redirect_to=lambda petition: reverse("staff:triage", args=[petition.pk]),
        )
        if outcome.response:
            return outcome.response
    chosen = form["enterprise"].value() if form.is_bound else None
    context = {
        "form": form,
        "chosen": enterprises.filter(pk=chosen).first() if str(chosen or "").isdigit() else None,
    }
    return render(
        request, "petitions/staff/register.html", context, status=400 if form.errors else 200
    )


@require_GET
@task_force_only
def enterprise_search(request: HttpRequest) -> HttpResponse:
    """The firm picker: firms of the jurisdiction by name or unified social credit code (htmx)."""
    query = request.GET.get("q", "").strip()
    found = []
    if query:
        found = list(
            selectors.enterprises_for(request.user)
            .filter(Q(name__icontains=query) | Q(uscc__istartswith=query.upper()))
            .select_related("jurisdiction")
            .order_by("name")[:SEARCH_LIMIT]
        )
    return render(
        request,
        "petitions/staff/_enterprise_options.html",
        {"found": found, "query": query, "limit": SEARCH_LIMIT},
    )
