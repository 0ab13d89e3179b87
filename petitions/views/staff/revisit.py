"""Revisit (回访): record the firm's rating on its behalf, conclude without one, archive (Shantou 三(六)–(七))."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from petitions import workflow
from petitions.exceptions import WorkflowError
from petitions.forms.staff import ConcludeForm, RevisitForm
from petitions.models import Petition, Rating, State
from petitions.selectors import staff as selectors

from .common import add_workflow_error, get_petition, paginate, task_force_only, visible


@require_GET
@task_force_only
def revisits(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.revisit_queue(visible(request)), timezone.localdate())
    return render(request, "petitions/staff/revisits.html", {"page": page})


def _revisit_page(
    request: HttpRequest,
    petition: Petition,
    *,
    form: RevisitForm | None = None,
    conclude_form: ConcludeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    data = selectors.records(petition)
    replies, _opinions = selectors.split_replies(data["replies"])
    context = {
        "petition": petition,
        "replies": replies,
        "contacts": data["contacts"],
        "evaluations": data["evaluations"],
        "form": form or RevisitForm(),
        "conclude_form": conclude_form or ConcludeForm(),
    }
    return render(request, "petitions/staff/revisit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@task_force_only
def revisit(request: HttpRequest, pk: int) -> HttpResponse:
    """The call or visit and the firm's rating; 不满意 sends it back for re-handling."""
    petition = get_petition(request, pk)
    if petition.state != State.REPLIED:
        return redirect("staff:petition", pk=petition.pk)
    if request.method == "GET":
        return _revisit_page(request, petition)
    form = RevisitForm(request.POST)
    if form.is_valid():
        try:
            workflow.evaluate(
                petition_id=petition.pk,
                actor=request.user,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                method=form.cleaned_data["method"],
            )
        except WorkflowError as e:
            add_workflow_error(
                form,
                e,
                {
                    "rating_required": "rating",
                    "method_required": "method",
                    "comment_required": "comment",
                },
            )
        else:
            if form.cleaned_data["rating"] == Rating.UNSATISFIED:
                text = _("%(number)s goes back to the unit for re-handling.")
            else:
                text = _("%(number)s concluded.")
            messages.success(request, text % {"number": petition.number})
            return redirect("staff:revisits")
    return _revisit_page(request, petition, form=form, status=400)


@require_POST
@task_force_only
def conclude(request: HttpRequest, pk: int) -> HttpResponse:
    """Conclude without a rating, e.g. when the firm cannot be reached (with a note)."""
    petition = get_petition(request, pk)
    form = ConcludeForm(request.POST)
    if form.is_valid():
        try:
            workflow.conclude(
                petition_id=petition.pk, actor=request.user, note=form.cleaned_data["note"]
            )
        except WorkflowError as e:
            add_workflow_error(form, e, {"required": "note"})
        else:
            messages.success(request, _("%(number)s concluded.") % {"number": petition.number})
            return redirect("staff:revisits")
    return _revisit_page(request, petition, conclude_form=form, status=400)


@require_POST
@task_force_only
def archive(request: HttpRequest, pk: int) -> HttpResponse:
    petition = get_petition(request, pk)
    try:
        workflow.archive(petition_id=petition.pk, actor=request.user)
    except WorkflowError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("%(number)s archived.") % {"number": petition.number})
    return redirect("staff:petition", pk=petition.pk)
