"""重点督办: the key-supervision list, a leader's decision, and the follow-ups (Shantou 三(五))."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from petitions.models import Role
from petitions.views.actions import run_action
from petitions.views.staff.common import staff_only
from supervision import acting, selectors, workflow
from supervision.forms import FollowUpForm, KeyDecisionForm
from supervision.models import KeyStatus, KeySupervision

from .common import FOLLOWERS, paginate, scope

TEMPLATE = "supervision/staff/key.html"


@require_GET
@staff_only()
def keys(request: HttpRequest) -> HttpResponse:
    """Tabs by status; leaders start on what waits for their decision, others on the key list."""
    default = KeyStatus.PROPOSED if request.user.role == Role.LEADER else KeyStatus.APPROVED
    status = request.GET.get("status", default)
    if status not in selectors.KEY_TABS:
        status = default
    s = scope(request)
    counts = selectors.key_counts(s.visible)
    page = paginate(request, selectors.keys(s.visible).filter(status=status))
    context = {
        "page": page,
        "status": status,
        "tabs": [(tab.value, tab.label, counts[tab.value]) for tab in selectors.KEY_TABS],
        "today": timezone.localdate(),
        # With lower levels (or cases passed up) in the list, each item names its level, and those
        # another level supervises are marked read only (docs/rules.md §1).
        "acting": acting.acting_ids(request.user)
        if len(s.ids) > 1 or s.jurisdiction.parent_id
        else None,
    }
    return render(request, "supervision/staff/keys.html", context)


def _get_key(request: HttpRequest, pk: int) -> KeySupervision:
    """The item, or a 404 when its petition is not in the user's jurisdiction."""
    return get_object_or_404(selectors.keys(scope(request).visible), pk=pk)


def _render_key(
    request: HttpRequest,
    key: KeySupervision,
    decision: forms.Form | None = None,
    follow_up: forms.Form | None = None,
) -> HttpResponse:
    user = request.user
    acts = acting.acts_on(user, key.petition)
    may_decide = acts and user.role == Role.LEADER and key.status == KeyStatus.PROPOSED
    may_follow = acts and user.role in FOLLOWERS and key.status == KeyStatus.APPROVED
    context = {
        "key": key,
        "read_only": not acts,
        "petition": key.petition,
        "follow_ups": key.follow_ups.select_related("author__unit"),
        # A refused form is shown again with its error even if the item has moved on meanwhile.
        "decision_form": decision or (KeyDecisionForm() if may_decide else None),
        "follow_up_form": follow_up or (FollowUpForm() if may_follow else None),
        "today": timezone.localdate(),
    }
    failed = any(form is not None and form.errors for form in (decision, follow_up))
    return render(request, TEMPLATE, context, status=400 if failed else 200)


@require_GET
@staff_only()
def key(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_key(request, _get_key(request, pk))


@require_POST
@staff_only(Role.LEADER)
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """A leader puts a proposed item on the key list, or declines it."""
    item = _get_key(request, pk)
    form = KeyDecisionForm(request.POST)

    def decide(data: dict) -> bool:
        approve = data["decision"] == "approve"
        workflow.decide(key_id=item.pk, actor=request.user, approve=approve, note=data["note"])
        return approve

    outcome = run_action(
        request,
        form,
        decide,
        success=lambda approved: (
            (_("%(number)s is on the key list.") if approved else _("%(number)s declined."))
            % {"number": item.petition.number}
        ),
        redirect_to=reverse("supervision:key", args=[item.pk]),
    )
    return outcome.response or _render_key(request, item, decision=form)


@require_POST
@staff_only(*FOLLOWERS)
def follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    """The task force or the supervision office records what it did to push the item on."""
    item = _get_key(request, pk)
    form = FollowUpForm(request.POST)
    outcome = run_action(
        request,
        form,
        lambda data: workflow.follow_up(key_id=item.pk, actor=request.user, text=data["text"]),
        fields={"required": "text"},
        success=_("Follow-up recorded."),
        redirect_to=reverse("supervision:key", args=[item.pk]),
    )
    return outcome.response or _render_key(request, item, follow_up=form)
