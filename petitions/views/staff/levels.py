"""Pass a case up to the parent level, or hand it down to the district or zone it belongs to
(docs/rules.md §1; first-receiver responsibility: never refused for arriving at the wrong level)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from petitions import levels, workflow
from petitions.forms.levels import HandDownForm, PassUpForm
from petitions.views.actions import run_action

from .common import get_petition, task_force_only
from .petition import petition_page


@require_POST
@task_force_only
def pass_up(request: HttpRequest, pk: int) -> HttpResponse:
    petition = get_petition(request, pk, act=True)
    form = PassUpForm(request.POST)
    outcome = run_action(
        request,
        form,
        lambda data: workflow.pass_up(
            petition_id=petition.pk, actor=request.user, reason=data["reason"]
        ),
        success=lambda moved: (
            _("%(number)s passed up to %(unit)s.")
            % {"number": moved.number, "unit": moved.jurisdiction.name}
        ),
        redirect_to=reverse("staff:petition", args=[petition.pk]),
    )
    return outcome.response or petition_page(request, petition, pass_up_form=form, status=400)


@require_POST
@task_force_only
def hand_down(request: HttpRequest, pk: int) -> HttpResponse:
    petition = get_petition(request, pk, act=True)
    form = HandDownForm(request.POST, targets=levels.descendants_of(petition.jurisdiction))
    outcome = run_action(
        request,
        form,
        lambda data: workflow.hand_down(
            petition_id=petition.pk, actor=request.user, to=data["to"], reason=data["reason"]
        ),
        fields={"bad_level": "to"},
        success=lambda moved: (
            _("%(number)s handed down to %(unit)s.")
            % {"number": moved.number, "unit": moved.jurisdiction.name}
        ),
        redirect_to=reverse("staff:petition", args=[petition.pk]),
    )
    return outcome.response or petition_page(request, petition, hand_down_form=form, status=400)
