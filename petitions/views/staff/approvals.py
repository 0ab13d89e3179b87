"""呈批: the leaders' approval queue and decision page (004 三(二))."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from petitions import workflow
from petitions.exceptions import WorkflowError
from petitions.forms.staff import ApprovalForm
from petitions.models import Role, State
from petitions.selectors import staff as selectors

from .common import add_workflow_error, get_petition, paginate, staff_only, visible


@require_GET
@staff_only(Role.LEADER, Role.TASK_FORCE)
def approvals(request: HttpRequest) -> HttpResponse:
    """A leader's queue of what was submitted to them; the task force sees all that is pending."""
    queue = selectors.approval_queue(visible(request), request.user)
    page = paginate(request, queue, timezone.localdate())
    return render(request, "petitions/staff/approvals.html", {"page": page})


@require_http_methods(["GET", "POST"])
@staff_only(Role.LEADER)
def approval(request: HttpRequest, pk: int) -> HttpResponse:
    """The approval form (呈批表): approve, or send back with an instruction."""
    petition = get_petition(request, pk)
    form = ApprovalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            if approve:
                workflow.approve(
                    petition_id=petition.pk,
                    actor=request.user,
                    instruction=form.cleaned_data["instruction"],
                )
            else:
                workflow.send_back(
                    petition_id=petition.pk,
                    actor=request.user,
                    instruction=form.cleaned_data["instruction"],
                )
        except WorkflowError as e:
            add_workflow_error(form, e, {"required": "instruction"})
        else:
            text = _("%(number)s approved.") if approve else _("%(number)s sent back.")
            messages.success(request, text % {"number": petition.number})
            return redirect("staff:approvals")
    submission = (
        petition.events.filter(action="submit_for_approval")
        .select_related("actor__unit")
        .order_by("-created_at", "-pk")
        .first()
    )
    context = {
        "petition": petition,
        "co_units": list(petition.co_units.all()),
        "form": form,
        "submission": submission,
        "pending": petition.state == State.AWAITING_APPROVAL,
    }
    return render(
        request, "petitions/staff/approval.html", context, status=400 if form.errors else 200
    )
