"""呈批: the leaders' approval queue and decision page, and the task force's reassignment (Shantou 三(二))."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from petitions import access, workflow
from petitions.forms.approvals import ReassignApprovalForm
from petitions.forms.staff import ApprovalForm
from petitions.models import Petition, Role, State
from petitions.selectors import staff as selectors
from petitions.views.actions import run_action

from .common import (
    get_petition,
    leader_name,
    paginate,
    staff_only,
    task_force_only,
    visible,
)


@require_GET
@staff_only(Role.LEADER, Role.TASK_FORCE)
def approvals(request: HttpRequest) -> HttpResponse:
    """A leader's queue of what was submitted to them; the task force sees all that is pending."""
    queue = selectors.approval_queue(visible(request), request.user)
    page = paginate(request, queue, timezone.localdate())
    return render(request, "petitions/staff/approvals.html", {"page": page})


def _submission(petition: Petition) -> object:
    return (
        petition.events.filter(action="submit_for_approval")
        .select_related("actor__unit")
        .order_by("-created_at", "-pk")
        .first()
    )


def _approval_page(
    request: HttpRequest, template: str, petition: Petition, form: object
) -> HttpResponse:
    """The approval form (呈批表) with the leader's or the task force's form; 400 when it was refused."""
    context = {
        "petition": petition,
        "co_units": list(petition.co_units.all()),
        "form": form,
        "submission": _submission(petition),
        "pending": petition.state == State.AWAITING_APPROVAL,
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@staff_only(Role.LEADER)
def approval(request: HttpRequest, pk: int) -> HttpResponse:
    """The approval form (呈批表): approve, or send back with an instruction.

    Every leader of the jurisdiction may read it; only the one it was submitted to may decide.
    """
    petition = get_petition(request, pk)
    pending = petition.state == State.AWAITING_APPROVAL
    if request.method == "POST" and pending:
        # Before the form: another leader's crafted POST is a 403, whatever it carries.
        access.require_approval_leader(request.user, petition)
    addressed = petition.approval_leader_id == request.user.pk
    form = ApprovalForm(request.POST or None) if addressed or request.method == "POST" else None
    if request.method == "POST":

        def decide(data: dict) -> bool:
            approve = data["decision"] == "approve"
            run = workflow.approve if approve else workflow.send_back
            run(petition_id=petition.pk, actor=request.user, instruction=data["instruction"])
            return approve

        outcome = run_action(
            request,
            form,
            decide,
            fields={"required": "instruction"},
            success=lambda approved: (
                (_("%(number)s approved.") if approved else _("%(number)s sent back."))
                % {"number": petition.number}
            ),
            redirect_to="staff:approvals",
        )
        if outcome.response:
            return outcome.response
    return _approval_page(request, "petitions/staff/approval.html", petition, form)


@require_http_methods(["GET", "POST"])
@task_force_only
def reassign_approval(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand a pending approval to another leader of the jurisdiction."""
    petition = get_petition(request, pk)
    pending = petition.state == State.AWAITING_APPROVAL
    form = None
    if pending or request.method == "POST":
        leaders = selectors.leaders_for(petition).exclude(pk=petition.approval_leader_id)
        form = ReassignApprovalForm(request.POST or None, leaders=leaders)
    if request.method == "POST":
        outcome = run_action(
            request,
            form,
            lambda data: workflow.reassign_approval(
                petition_id=petition.pk,
                actor=request.user,
                leader=data["leader"],
                note=data["note"],
            ),
            fields={"leader_required": "leader", "same_leader": "leader"},
            success=lambda _petition: (
                _("%(number)s now awaits the approval of %(leader)s.")
                % {"number": petition.number, "leader": leader_name(form.cleaned_data["leader"])}
            ),
            redirect_to=reverse("staff:petition", args=[petition.pk]),
        )
        if outcome.response:
            return outcome.response
    return _approval_page(request, "petitions/staff/approval_reassign.html", petition, form)
