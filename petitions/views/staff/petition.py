"""One petition: everything recorded on it, and the task force's next action for its state.

Leaders and supervisors see the same page without the action forms (read-only).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from petitions import access, deadlines, levels
from petitions.forms.levels import HandDownForm, PassUpForm
from petitions.forms.staff import SubmitApprovalForm
from petitions.models import Petition, Role, State
from petitions.selectors import staff as selectors

from .common import get_petition, staff_only

ARCHIVABLE = (State.CONCLUDED, State.REJECTED, State.DUPLICATE, State.WITHDRAWN)
MOVABLE = (State.REGISTERED, State.ACCEPTED, State.RETURNED)


def petition_page(
    request: HttpRequest,
    petition: Petition,
    *,
    approval_form: SubmitApprovalForm | None = None,
    pass_up_form: PassUpForm | None = None,
    hand_down_form: HandDownForm | None = None,
    status: int = 200,
) -> HttpResponse:
    data = selectors.records(petition)
    replies, opinions = selectors.split_replies(data.pop("replies"))
    open_deadlines = [d for d in data["deadlines"] if d.is_open]
    deadlines.annotate_days_left([petition, *open_deadlines], timezone.localdate())
    # The task force acts on its own level's cases; a parent only reads its districts' (rules §1).
    acts = access.task_force_acts_on(request.user, petition)
    context = {
        **data,
        "petition": petition,
        "co_units": list(petition.co_units.all()),
        "replies": replies,
        "opinions": opinions,
        "open_deadlines": open_deadlines,
        "limits": selectors.letter_deadlines(petition, data["deadlines"]),
        "acts": acts,
        "is_leader": request.user.role == Role.LEADER,
        "archivable": petition.state in ARCHIVABLE,
        "transfers": list(
            petition.level_transfers.select_related("from_jurisdiction", "to_jurisdiction", "actor")
        ),
        "runs_it": levels.run_by(petition.jurisdiction),
    }
    if acts and petition.state in MOVABLE:
        if levels.parent_of(petition.jurisdiction) is not None:
            context["pass_up_form"] = pass_up_form or PassUpForm()
        targets = levels.descendants_of(petition.jurisdiction)
        if targets.exists():
            context["hand_down_form"] = hand_down_form or HandDownForm(
                targets=targets,
                # Where the firm is registered is where the case most likely belongs.
                initial={"to": petition.enterprise.jurisdiction_id},
            )
    if acts and petition.state == State.CONFIRMED:
        context["approval_form"] = approval_form or SubmitApprovalForm(
            leaders=selectors.leaders_for(petition)
        )
        context["can_issue"] = petition.approval_settled()
    return render(request, "petitions/staff/petition.html", context, status=status)


@require_GET
@staff_only()
def petition(request: HttpRequest, pk: int) -> HttpResponse:
    return petition_page(request, get_petition(request, pk))
