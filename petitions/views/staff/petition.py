"""One petition: everything recorded on it, and the task force's next action for its state.

Leaders and supervisors see the same page without the action forms (read-only).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from petitions import deadlines
from petitions.forms.staff import SubmitApprovalForm
from petitions.models import Petition, Role, State
from petitions.selectors import staff as selectors

from .common import get_petition, staff_only

ARCHIVABLE = (State.CONCLUDED, State.REJECTED, State.DUPLICATE, State.WITHDRAWN)


def petition_page(
    request: HttpRequest,
    petition: Petition,
    *,
    approval_form: SubmitApprovalForm | None = None,
    status: int = 200,
) -> HttpResponse:
    data = selectors.records(petition)
    replies, opinions = selectors.split_replies(data.pop("replies"))
    open_deadlines = [d for d in data["deadlines"] if d.is_open]
    deadlines.annotate_days_left([petition, *open_deadlines], timezone.localdate())
    acts = request.user.role == Role.TASK_FORCE
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
    }
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
