"""Assignment: propose the lead unit, review returns, submit for a leader's approval, issue the letter,
and decide extension requests (Shantou 三(二); docs/rules.md §10)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from petitions import levels, workflow
from petitions.forms.staff import (
    ExtensionDecisionForm,
    ProposeForm,
    ReviewReturnForm,
    SubmitApprovalForm,
)
from petitions.models import (
    Extension,
    OrgUnit,
    Petition,
    PetitionReturn,
    ReturnDecision,
    RoutingRule,
    State,
)
from petitions.selectors import staff as selectors
from petitions.views.actions import EmptyForm, run_action

from .common import get_petition, leader_name, paginate, task_force_only, workable
from .petition import petition_page

UNIT_ERRORS = {"bad_unit": "unit", "unit_required": "unit"}


def _why(petition: Petition, rule: RoutingRule | None, lead_ids: set[int], user_j: OrgUnit) -> dict:
    """Why the form is preselected as it is: the rule that matched and how it fared, or that none
    did (docs/rules.md §10). Whoever assigns the case keeps its level's catalogue: their own, or
    that of a level they stand in for (linked with ?level=)."""
    query = "" if petition.jurisdiction_id == user_j.pk else f"?level={petition.jurisdiction_id}"
    if rule is None:
        return {"rule": None, "catalogue": True, "level_query": query}
    return {
        "rule": rule,
        "co": list(rule.co_units.all()),
        "taken": rule.times_proposed - rule.times_overridden,
        "offerable": rule.unit_id in lead_ids,
        "catalogue": True,
        "level_query": query,
    }


def _suggestion(petition: Petition, pending: PetitionReturn | None, lead_ids: set[int]) -> dict:
    """The unit a return names: preselected when it may lead here; otherwise where it sits, and
    whether the case goes up or down to reach it (docs/rules.md §1: the form on the petition page)."""
    unit = pending.suggested_unit if pending else None
    if unit is None or unit.pk in lead_ids:
        return {"unit": unit, "offerable": unit is not None}
    home = unit.jurisdiction()
    below = levels.descendants_of(petition.jurisdiction).filter(pk=home.pk).exists()
    return {"unit": unit, "offerable": False, "home": home, "down": below}


def _assign_page(
    request: HttpRequest, petition: Petition, form: ProposeForm | None = None, status: int = 200
) -> HttpResponse:
    rule = selectors.routing_proposal(petition)
    lead_ids = set(levels.lead_units(petition.jurisdiction).values_list("pk", flat=True))
    why = _why(petition, rule, lead_ids, request.user.unit.jurisdiction())
    pending = None
    suggestion: dict = {}
    if petition.state == State.RETURNED:
        pending = (
            petition.returns.filter(decision=ReturnDecision.PENDING)
            .select_related("unit", "returned_by", "suggested_unit__parent")
            .last()
        )
        suggestion = _suggestion(petition, pending, lead_ids)
        if form is None:
            form = ReviewReturnForm(
                jurisdiction=petition.jurisdiction,
                initial={
                    "decision": "uphold",
                    "unit": suggestion["unit"].pk if suggestion["offerable"] else None,
                    "co_units": [u.pk for u in petition.co_units.all()],
                },
            )
    elif form is None:
        form = ProposeForm(
            jurisdiction=petition.jurisdiction,
            initial={
                "unit": rule.unit_id if why.get("offerable") else None,
                "co_units": [u.pk for u in why.get("co", ())],
            },
        )
    context = {
        "petition": petition,
        "form": form,
        "rule": rule,
        "why": why,
        "pending": pending,
        "suggestion": suggestion,
        "returns": list(petition.returns.select_related("unit", "decided_by").order_by("pk")),
    }
    return render(request, "petitions/staff/assign.html", context, status=status)


@require_http_methods(["GET", "POST"])
@task_force_only
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Propose the lead unit and co-handlers; the routing catalogue's default is preselected."""
    petition = get_petition(request, pk, act=True)
    if petition.state not in (State.ACCEPTED, State.RETURNED):
        return redirect("staff:petition", pk=petition.pk)
    if request.method == "GET" or petition.state == State.RETURNED:
        return _assign_page(request, petition)
    form = ProposeForm(request.POST, jurisdiction=petition.jurisdiction)
    outcome = run_action(
        request,
        form,
        lambda data: workflow.propose(
            petition_id=petition.pk,
            actor=request.user,
            unit=data["unit"],
            co_units=data["co_units"],
            note=data["note"],
        ),
        fields=UNIT_ERRORS,
        success=lambda _petition: (
            _("%(number)s proposed to %(unit)s.")
            % {"number": petition.number, "unit": form.cleaned_data["unit"].name}
        ),
        redirect_to="staff:intake",
    )
    return outcome.response or _assign_page(request, petition, form, status=400)


@require_POST
@task_force_only
def review_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Uphold a return and reassign, or reject it so the unit keeps the case."""
    petition = get_petition(request, pk, act=True)
    form = ReviewReturnForm(request.POST, jurisdiction=petition.jurisdiction)

    def review(data: dict) -> bool:
        uphold = data["decision"] == "uphold"
        workflow.review_return(
            petition_id=petition.pk,
            actor=request.user,
            uphold=uphold,
            unit=data["unit"] if uphold else None,
            co_units=data["co_units"] if uphold else (),
            note=data["note"],
        )
        return uphold

    outcome = run_action(
        request,
        form,
        review,
        fields=UNIT_ERRORS,
        success=lambda upheld: (
            (
                _("Return upheld: %(number)s reassigned.")
                if upheld
                else _("Return rejected: the unit keeps %(number)s.")
            )
            % {"number": petition.number}
        ),
        redirect_to="staff:intake",
    )
    return outcome.response or _assign_page(request, petition, form, status=400)


@require_GET
@task_force_only
def letters(request: HttpRequest) -> HttpResponse:
    """Confirmed by their units: the transfer letter is owed, or a leader's approval first."""
    page = paginate(request, selectors.letters_queue(workable(request)), timezone.localdate())
    return render(request, "petitions/staff/letters.html", {"page": page})


@require_POST
@task_force_only
def submit_approval(request: HttpRequest, pk: int) -> HttpResponse:
    """呈批: send a confirmed petition to a leader before the letter is issued."""
    petition = get_petition(request, pk, act=True)
    form = SubmitApprovalForm(request.POST, leaders=selectors.leaders_for(petition))
    outcome = run_action(
        request,
        form,
        lambda data: workflow.submit_for_approval(
            petition_id=petition.pk, actor=request.user, leader=data["leader"], note=data["note"]
        ),
        fields={"leader_required": "leader"},
        success=lambda _petition: (
            _("%(number)s submitted to %(leader)s for approval.")
            % {"number": petition.number, "leader": leader_name(form.cleaned_data["leader"])}
        ),
        redirect_to=reverse("staff:petition", args=[petition.pk]),
    )
    return outcome.response or petition_page(request, petition, approval_form=form, status=400)


@require_POST
@task_force_only
def issue_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """《转办函》: issue the letter; the unit's contact and reply limits start."""
    petition = get_petition(request, pk, act=True)
    url = reverse("staff:petition", args=[petition.pk])
    outcome = run_action(
        request,
        EmptyForm(request.POST),
        lambda _data: workflow.issue_transfer_letter(petition_id=petition.pk, actor=request.user),
        success=lambda issued: (
            _("Transfer letter %(letter)s issued.") % {"letter": issued.transfer_letter_no}
        ),
        redirect_to=url,
        refused_to=url,
    )
    return outcome.response


@require_GET
@task_force_only
def extensions(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.pending_extensions(workable(request)))
    return render(
        request, "petitions/staff/extensions.html", {"page": page, "form": ExtensionDecisionForm()}
    )


@require_POST
@task_force_only
def decide_extension(request: HttpRequest, pk: int) -> HttpResponse:
    extension = get_object_or_404(Extension.objects.filter(petition__in=workable(request)), pk=pk)
    form = ExtensionDecisionForm(request.POST)
    url = reverse("staff:extensions")

    def decide(data: dict) -> bool:
        approve = data["decision"] == "approve"
        workflow.decide_extension(
            extension_id=extension.pk, actor=request.user, approve=approve, note=data["note"]
        )
        return approve

    outcome = run_action(
        request,
        form,
        decide,
        success=lambda approved: _("Extension approved.") if approved else _("Extension denied."),
        redirect_to=url,
        refused_to=url,
        invalid=_("Choose to approve or deny the request."),
    )
    return outcome.response
