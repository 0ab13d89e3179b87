"""Assignment: propose the lead unit, review returns, submit for a leader's approval, issue the letter,
and decide extension requests (Shantou 三(二); docs/rules.md §10)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from petitions import workflow
from petitions.exceptions import WorkflowError
from petitions.forms.staff import (
    ExtensionDecisionForm,
    ProposeForm,
    ReviewReturnForm,
    SubmitApprovalForm,
)
from petitions.models import Extension, Petition, ReturnDecision, State
from petitions.selectors import staff as selectors

from .common import add_workflow_error, get_petition, paginate, task_force_only, visible
from .petition import petition_page

UNIT_ERRORS = {"bad_unit": "unit", "unit_required": "unit"}


def _assign_page(
    request: HttpRequest, petition: Petition, form: ProposeForm | None = None, status: int = 200
) -> HttpResponse:
    rule = selectors.routing_proposal(petition)
    units = selectors.handling_units_queryset(petition.jurisdiction)
    pending = None
    if petition.state == State.RETURNED:
        pending = (
            petition.returns.filter(decision=ReturnDecision.PENDING)
            .select_related("unit", "returned_by", "suggested_unit")
            .last()
        )
        if form is None:
            form = ReviewReturnForm(
                units=units,
                initial={
                    "decision": "uphold",
                    "unit": pending.suggested_unit_id if pending else None,
                    "co_units": [u.pk for u in petition.co_units.all()],
                },
            )
    elif form is None:
        form = ProposeForm(
            units=units,
            initial={
                "unit": rule.unit_id if rule else None,
                "co_units": [u.pk for u in rule.co_units.all()] if rule else [],
            },
        )
    context = {
        "petition": petition,
        "form": form,
        "rule": rule,
        "pending": pending,
        "returns": list(petition.returns.select_related("unit", "decided_by").order_by("pk")),
    }
    return render(request, "petitions/staff/assign.html", context, status=status)


@require_http_methods(["GET", "POST"])
@task_force_only
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Propose the lead unit and co-handlers; the routing catalogue's default is preselected."""
    petition = get_petition(request, pk)
    if petition.state not in (State.ACCEPTED, State.RETURNED):
        return redirect("staff:petition", pk=petition.pk)
    if request.method == "GET" or petition.state == State.RETURNED:
        return _assign_page(request, petition)
    units = selectors.handling_units_queryset(petition.jurisdiction)
    form = ProposeForm(request.POST, units=units)
    if form.is_valid():
        try:
            workflow.propose(
                petition_id=petition.pk,
                actor=request.user,
                unit=form.cleaned_data["unit"],
                co_units=form.cleaned_data["co_units"],
                note=form.cleaned_data["note"],
            )
        except WorkflowError as e:
            add_workflow_error(form, e, UNIT_ERRORS)
        else:
            messages.success(
                request,
                _("%(number)s proposed to %(unit)s.")
                % {"number": petition.number, "unit": form.cleaned_data["unit"].name},
            )
            return redirect("staff:intake")
    return _assign_page(request, petition, form, status=400)


@require_POST
@task_force_only
def review_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Uphold a return and reassign, or reject it so the unit keeps the case."""
    petition = get_petition(request, pk)
    units = selectors.handling_units_queryset(petition.jurisdiction)
    form = ReviewReturnForm(request.POST, units=units)
    if form.is_valid():
        uphold = form.cleaned_data["decision"] == "uphold"
        try:
            workflow.review_return(
                petition_id=petition.pk,
                actor=request.user,
                uphold=uphold,
                unit=form.cleaned_data["unit"] if uphold else None,
                co_units=form.cleaned_data["co_units"] if uphold else (),
                note=form.cleaned_data["note"],
            )
        except WorkflowError as e:
            add_workflow_error(form, e, UNIT_ERRORS)
        else:
            text = (
                _("Return upheld: %(number)s reassigned.")
                if uphold
                else _("Return rejected: the unit keeps %(number)s.")
            )
            messages.success(request, text % {"number": petition.number})
            return redirect("staff:intake")
    return _assign_page(request, petition, form, status=400)


@require_GET
@task_force_only
def letters(request: HttpRequest) -> HttpResponse:
    """Confirmed by their units: the transfer letter is owed, or a leader's approval first."""
    page = paginate(request, selectors.letters_queue(visible(request)), timezone.localdate())
    return render(request, "petitions/staff/letters.html", {"page": page})


@require_POST
@task_force_only
def submit_approval(request: HttpRequest, pk: int) -> HttpResponse:
    """呈批: send a confirmed petition to a leader before the letter is issued."""
    petition = get_petition(request, pk)
    form = SubmitApprovalForm(request.POST, leaders=selectors.leaders_for(petition))
    if form.is_valid():
        try:
            workflow.submit_for_approval(
                petition_id=petition.pk,
                actor=request.user,
                leader=form.cleaned_data["leader"],
                note=form.cleaned_data["note"],
            )
        except WorkflowError as e:
            add_workflow_error(form, e, {"leader_required": "leader"})
        else:
            messages.success(
                request,
                _("%(number)s submitted to %(leader)s for approval.")
                % {
                    "number": petition.number,
                    "leader": form.cleaned_data["leader"].get_full_name()
                    or form.cleaned_data["leader"].username,
                },
            )
            return redirect("staff:petition", pk=petition.pk)
    return petition_page(request, petition, approval_form=form, status=400)


@require_POST
@task_force_only
def issue_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """《转办函》: issue the letter; the unit's contact and reply limits start."""
    petition = get_petition(request, pk)
    try:
        petition = workflow.issue_transfer_letter(petition_id=petition.pk, actor=request.user)
    except WorkflowError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(
            request,
            _("Transfer letter %(letter)s issued.") % {"letter": petition.transfer_letter_no},
        )
    return redirect("staff:petition", pk=pk)


@require_GET
@task_force_only
def extensions(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.pending_extensions(visible(request)))
    return render(
        request, "petitions/staff/extensions.html", {"page": page, "form": ExtensionDecisionForm()}
    )


@require_POST
@task_force_only
def decide_extension(request: HttpRequest, pk: int) -> HttpResponse:
    extension = get_object_or_404(Extension.objects.filter(petition__in=visible(request)), pk=pk)
    form = ExtensionDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to approve or deny the request."))
        return redirect("staff:extensions")
    approve = form.cleaned_data["decision"] == "approve"
    try:
        workflow.decide_extension(
            extension_id=extension.pk,
            actor=request.user,
            approve=approve,
            note=form.cleaned_data["note"],
        )
    except WorkflowError as e:
        messages.error(request, " ".join(e.messages))
    else:
        text = _("Extension approved.") if approve else _("Extension denied.")
        messages.success(request, text)
    return redirect("staff:extensions")
