"""Revisit (回访): record the firm's rating on its behalf, conclude without one, archive (Shantou 三(六)–(七))."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from petitions import workflow
from petitions.forms.staff import ConcludeForm, RevisitForm
from petitions.models import Petition, Rating, State
from petitions.selectors import staff as selectors
from petitions.views.actions import EmptyForm, run_action

from .common import get_petition, paginate, task_force_only, workable


@require_GET
@task_force_only
def revisits(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.revisit_queue(workable(request)), timezone.localdate())
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
    petition = get_petition(request, pk, act=True)
    if petition.state != State.REPLIED:
        return redirect("staff:petition", pk=petition.pk)
    if request.method == "GET":
        return _revisit_page(request, petition)
    form = RevisitForm(request.POST)
    outcome = run_action(
        request,
        form,
        lambda data: workflow.evaluate(
            petition_id=petition.pk,
            actor=request.user,
            rating=data["rating"],
            comment=data["comment"],
            method=data["method"],
        ),
        fields={
            "rating_required": "rating",
            "method_required": "method",
            "comment_required": "comment",
        },
        success=lambda _petition: (
            (
                _("%(number)s goes back to the unit for re-handling.")
                if form.cleaned_data["rating"] == Rating.UNSATISFIED
                else _("%(number)s concluded.")
            )
            % {"number": petition.number}
        ),
        redirect_to="staff:revisits",
    )
    return outcome.response or _revisit_page(request, petition, form=form, status=400)


@require_POST
@task_force_only
def conclude(request: HttpRequest, pk: int) -> HttpResponse:
    """Conclude without a rating, e.g. when the firm cannot be reached (with a note)."""
    petition = get_petition(request, pk, act=True)
    form = ConcludeForm(request.POST)
    outcome = run_action(
        request,
        form,
        lambda data: workflow.conclude(
            petition_id=petition.pk, actor=request.user, note=data["note"]
        ),
        fields={"required": "note"},
        success=_("%(number)s concluded.") % {"number": petition.number},
        redirect_to="staff:revisits",
    )
    return outcome.response or _revisit_page(request, petition, conclude_form=form, status=400)


@require_POST
@task_force_only
def archive(request: HttpRequest, pk: int) -> HttpResponse:
    petition = get_petition(request, pk, act=True)
    url = reverse("staff:petition", args=[petition.pk])
    outcome = run_action(
        request,
        EmptyForm(request.POST),
        lambda _data: workflow.archive(petition_id=petition.pk, actor=request.user),
        success=_("%(number)s archived.") % {"number": petition.number},
        redirect_to=url,
        refused_to=url,
    )
    return outcome.response
