"""/meetings/staff/: the task force plans and runs meetings, leaders review and approve the issue
catalogue, the supervision office reads (docs/rules.md §6; Heyuan 四).

Every view: authorise (wrong audience → 403) → fetch through the user's jurisdictions (another
city's meeting → 404) → validate the form → call one meetings.workflow function → redirect (docs/conventions.md C5).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from meetings import agenda, selectors, workflow
from meetings.forms import (
    KEEP,
    DecisionForm,
    NoteForm,
    PlanForm,
    SendUpForm,
    TakePetitionForm,
    TakeTopicForm,
    TopicForm,
    VerifyForm,
)
from meetings.models import (
    MIN_FIRMS_FOR_TALKS,
    CatalogueItem,
    Meeting,
    MeetingKind,
    MeetingState,
    Outcome,
    Topic,
    TopicStatus,
)
from petitions import deadlines, levels
from petitions.models import Role
from petitions.views.actions import EmptyForm, run_action
from petitions.views.staff.common import paginate, staff_only, task_force_only

leaders_only = staff_only(Role.LEADER)
POOL_SIZE = 100  # the oldest pooled topics first; the agenda proposals are capped alike
PLAN_ERRORS = {
    "bad_jurisdiction": "jurisdiction",
    "past": "date",
    "bad_chair": "chair",
    "required": "title",
}


# --- helpers ---------------------------------------------------------------------------------------


def _visible(request: HttpRequest) -> QuerySet[Meeting]:
    """The meetings this user may see; built once per request."""
    if not hasattr(request, "_meetings_visible"):
        request._meetings_visible = selectors.meetings_visible_to(request.user)
    return request._meetings_visible


def _get(request: HttpRequest, pk: int) -> Meeting:
    """The meeting, or 404 when it is not in the user's jurisdictions."""
    return get_object_or_404(_visible(request).select_related("jurisdiction", "chair"), pk=pk)


def _require_acting(request: HttpRequest, jurisdiction_id: int) -> None:
    """403 with the reason on an action page of a level another task force runs: a parent reads a
    district's meetings and topics, the district runs them (docs/rules.md §1)."""
    if not selectors.acts_on(request.user, jurisdiction_id):
        raise PermissionDenied(
            _("Another level's task force runs these meetings and topics; you can read them.")
        )


def _meeting_url(meeting: Meeting) -> str:
    return reverse("meetings:meeting", args=[meeting.pk])


def _ledger_url() -> str:
    """The supervision ledger, once its page exists."""
    try:
        return reverse("supervision:ledger")
    except NoReverseMatch:
        return ""


# --- the list and planning -------------------------------------------------------------------------


@require_GET
@staff_only()
def meeting_list(request: HttpRequest) -> HttpResponse:
    """Meetings by jurisdiction, with their state and date."""
    jurisdiction = request.GET.get("jurisdiction", "")
    state = request.GET.get("state", "")
    page = paginate(
        request, selectors.meeting_list(_visible(request), jurisdiction=jurisdiction, state=state)
    )
    context = {
        "page": page,
        "jurisdictions": selectors.jurisdictions_for(request.user),
        "states": MeetingState.choices,
        "jurisdiction": jurisdiction,
        "state": state,
    }
    return render(request, "meetings/staff/list.html", context)


def _plan_form(request: HttpRequest, data: object = None) -> PlanForm:
    user = request.user
    home = user.unit.jurisdiction()
    return PlanForm(
        data,
        jurisdictions=selectors.jurisdictions_to_plan(user),
        leaders=selectors.leaders_for(user),
        units=selectors.units_for(home),
        firms=selectors.firms_for(user),
        initial={"jurisdiction": home.pk, "kind": MeetingKind.FACE_TO_FACE},
    )


def _plan_page(request: HttpRequest, form: PlanForm, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "tags": selectors.tags(),
        "talks": MeetingKind.TALKS,
        "min_firms": MIN_FIRMS_FOR_TALKS,
    }
    return render(request, "meetings/staff/plan.html", context, status=status)


@require_http_methods(["GET", "POST"])
@task_force_only
def plan(request: HttpRequest) -> HttpResponse:
    """Plan a meeting: kind, date, chair, leaders, the departments involved and the firms invited."""
    if request.method == "GET":
        return _plan_page(request, _plan_form(request))
    form = _plan_form(request, request.POST)
    outcome = run_action(
        request,
        form,
        lambda data: workflow.plan(actor=request.user, **data),
        fields=PLAN_ERRORS,
        success=lambda meeting: _planned(request, meeting),
        redirect_to=_meeting_url,
    )
    return outcome.response or _plan_page(request, form, status=400)


def _planned(request: HttpRequest, meeting: Meeting) -> None:
    """Talks with too few firms are planned all the same, with a warning after the success."""
    messages.success(request, _("Meeting planned: “%(title)s”.") % {"title": meeting.title})
    if meeting.too_few_firms:
        messages.warning(
            request,
            _("Talks should invite at least %(n)d enterprises.") % {"n": MIN_FIRMS_FOR_TALKS},
        )


# --- the meeting page ------------------------------------------------------------------------------


def _meeting_page(
    request: HttpRequest,
    pk: int,
    *,
    review_form: NoteForm | None = None,
    send_back_form: NoteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    meeting = get_object_or_404(selectors.meeting_detail(_visible(request)), pk=pk)
    today = timezone.localdate()
    deadlines.annotate_days_left([meeting], today, attr="catalogue_due_on")
    items = selectors.catalogue_items(meeting) if meeting.state != MeetingState.PLANNING else []
    submitted = meeting.submitted_at is not None
    context = {
        "meeting": meeting,
        "items": items,
        "steps": selectors.lifecycle(meeting),
        "actions": selectors.allowed_actions(meeting, request.user),
        "counts": selectors.topic_counts(meeting),
        "catalogue_limit": selectors.catalogue_limit(meeting),
        "catalogue_late": not submitted
        and meeting.state in (MeetingState.PLANNING, MeetingState.DRAFTED)
        and today > meeting.catalogue_due_on,
        "too_few_firms": meeting.kind == MeetingKind.TALKS
        and len(meeting.firms.all()) < MIN_FIRMS_FOR_TALKS,
        "min_firms": MIN_FIRMS_FOR_TALKS,
        "review_form": review_form or NoteForm(label=_("Review note"), prefix="review"),
        "send_back_form": send_back_form or NoteForm(label=_("What to change"), prefix="send_back"),
        "assigned": selectors.assigned_petitions(items),
        "evaluation_count": meeting.evaluations.count(),
        "ledger_url": _ledger_url(),
        "held": meeting.state in selectors.HELD_STATES,
    }
    return render(request, "meetings/staff/meeting.html", context, status=status)


@require_GET
@staff_only()
def meeting(request: HttpRequest, pk: int) -> HttpResponse:
    """The lifecycle, the catalogue's due date, the catalogue and the next allowed actions."""
    return _meeting_page(request, pk)


# --- topics ----------------------------------------------------------------------------------------


@require_GET
@staff_only()
def topics(request: HttpRequest, pk: int) -> HttpResponse:
    """The meeting's topics; while planning, the firms' pooled topics and the agenda proposals."""
    meeting = _get(request, pk)
    planning = meeting.state == MeetingState.PLANNING
    can_act = planning and selectors.acts_on(request.user, meeting.jurisdiction_id)
    context = {
        "meeting": meeting,
        "topics": selectors.meeting_topics(meeting),
        "pool": list(selectors.topic_pool(meeting)[:POOL_SIZE]) if can_act else [],
        "proposals": agenda.proposals(meeting, timezone.localdate()) if can_act else [],
        "can_act": can_act,
        "statuses": TopicStatus,
    }
    return render(request, "meetings/staff/topics.html", context)


def _topic_form(meeting: Meeting, request: HttpRequest, data: object = None) -> TopicForm:
    return TopicForm(
        data,
        units=selectors.units_for(meeting.jurisdiction),
        firms=selectors.firms_for(request.user).filter(jurisdiction=meeting.jurisdiction),
    )


@require_http_methods(["GET", "POST"])
@task_force_only
def add_topic(request: HttpRequest, pk: int) -> HttpResponse:
    """A topic brought in through a department's channel (人大/政协, 发改, 商务, 政数, 工商联 …)."""
    meeting = _get(request, pk)
    _require_acting(request, meeting.jurisdiction_id)
    if request.method == "GET":
        form = _topic_form(meeting, request)
        return render(request, "meetings/staff/add_topic.html", {"meeting": meeting, "form": form})
    form = _topic_form(meeting, request, request.POST)
    outcome = run_action(
        request,
        form,
        lambda data: workflow.add_topic(meeting_id=meeting.pk, actor=request.user, **data),
        fields={"required": "problem"},
        success=lambda topic: _("Topic %(n)d added.") % {"n": topic.pk},
        redirect_to=reverse("meetings:topics", args=[meeting.pk]),
    )
    if outcome.response:
        return outcome.response
    context = {"meeting": meeting, "form": form}
    return render(request, "meetings/staff/add_topic.html", context, status=400)


@require_POST
@task_force_only
def take_topic(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a firm's pooled topic on this meeting."""
    meeting = _get(request, pk)
    url = reverse("meetings:topics", args=[meeting.pk])
    outcome = run_action(
        request,
        TakeTopicForm(request.POST),
        lambda data: workflow.take_topic(
            meeting_id=meeting.pk, actor=request.user, topic_id=data["topic"]
        ),
        success=lambda topic: _("Topic %(n)d taken onto this meeting.") % {"n": topic.pk},
        redirect_to=url,
        refused_to=url,
        invalid=_("Choose a topic."),
    )
    return outcome.response


@require_POST
@task_force_only
def take_petition(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a petition the agenda rules proposed, with the rule that matched, in one click."""
    meeting = _get(request, pk)
    url = reverse("meetings:topics", args=[meeting.pk])
    outcome = run_action(
        request,
        TakePetitionForm(request.POST),
        lambda data: workflow.take_petition(
            meeting_id=meeting.pk,
            actor=request.user,
            petition_id=data["petition"],
            rule=data["rule"],
        ),
        success=lambda topic: (
            _("Petition %(number)s is now topic %(n)d.")
            % {"number": topic.petition.number, "n": topic.pk}
        ),
        redirect_to=url,
        refused_to=url,
        invalid=_("Choose a proposed petition."),
    )
    return outcome.response


def _verify_page(
    request: HttpRequest, topic: Topic, form: VerifyForm, status: int = 200
) -> HttpResponse:
    context = {"topic": topic, "meeting": topic.meeting, "form": form}
    return render(request, "meetings/staff/verify.html", context, status=status)


@require_http_methods(["GET", "POST"])
@task_force_only
def verify_topic(request: HttpRequest, pk: int) -> HttpResponse:
    """Verify with the departments; draft the handling opinion, lead and co-handling units; or drop."""
    topic = get_object_or_404(
        selectors.topics_visible_to(request.user)
        .filter(meeting__isnull=False)
        .select_related("meeting__jurisdiction", "enterprise", "petition", "channel_unit"),
        pk=pk,
    )
    _require_acting(request, topic.jurisdiction_id)
    units = selectors.units_for(topic.jurisdiction)
    if request.method == "GET":
        form = VerifyForm(
            units=units,
            initial={
                "decision": KEEP if topic.status != TopicStatus.DROPPED else "drop",
                "note": topic.verification_note,
                "opinion": topic.opinion,
                "lead_unit": topic.lead_unit_id,
                "co_units": [u.pk for u in topic.co_units.all()],
            },
        )
        return _verify_page(request, topic, form)
    form = VerifyForm(request.POST, units=units)

    def verify(data: dict) -> bool:
        keep = data["decision"] == KEEP
        workflow.verify_topic(
            topic_id=topic.pk,
            actor=request.user,
            keep=keep,
            note=data["note"],
            opinion=data["opinion"] if keep else "",
            lead_unit=data["lead_unit"] if keep else None,
            co_units=data["co_units"] if keep else (),
        )
        return keep

    outcome = run_action(
        request,
        form,
        verify,
        fields={"unit_required": "lead_unit"},
        success=lambda kept: (
            (_("Topic %(n)d verified.") if kept else _("Topic %(n)d dropped.")) % {"n": topic.pk}
        ),
        redirect_to=f"{reverse('meetings:topics', args=[topic.meeting_id])}#topic-{topic.pk}",
    )
    return outcome.response or _verify_page(request, topic, form, status=400)


# --- the topic pool, one topic, sending up ---------------------------------------------------------


@require_GET
@staff_only()
def pool(request: HttpRequest) -> HttpResponse:
    """Open topics waiting for a meeting of their level, those sent up from below among them; and the
    topics this level sent up, with where each went (docs/rules.md §1)."""
    user = request.user
    context = {
        "pooled": list(selectors.pooled_topics(user)[:POOL_SIZE]),
        "sent_up": list(selectors.sent_up_topics(user)[:POOL_SIZE]),
        "pool_size": POOL_SIZE,
    }
    return render(request, "meetings/staff/pool.html", context)


def _referral(topic: Topic) -> Topic | None:
    """The topic this one became at the higher level, if it was sent up."""
    try:
        return topic.referral
    except ObjectDoesNotExist:
        return None


def _topic_page(
    request: HttpRequest, topic: Topic, form: SendUpForm | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    seen = set(selectors.jurisdiction_ids(user))
    origin = topic.referred_from
    referral = _referral(topic)
    can_act = selectors.acts_on(user, topic.jurisdiction_id)
    # The send-up form: offered while the topic is open and there is a level above; a refused
    # one is shown again with its error and what was typed.
    parent = None
    if form is not None or (can_act and topic.status in selectors.OPEN_TOPIC):
        parent = levels.parent_of(topic.jurisdiction)
    if form is None and parent is not None:
        form = SendUpForm()
    context = {
        "topic": topic,
        "meeting": topic.meeting,
        "co_units": list(topic.co_units.all()),
        "origin": origin,
        # A level reads what it sent up and where it went, but opens only what it may see.
        "origin_link": origin is not None and origin.jurisdiction_id in seen,
        "referral": referral,
        "referral_link": referral is not None and referral.jurisdiction_id in seen,
        "can_act": can_act,
        "parent": parent,
        "form": form,
    }
    return render(request, "meetings/staff/topic.html", context, status=status)


def _get_topic(request: HttpRequest, pk: int) -> Topic:
    """The topic, or 404 when it is not in the user's jurisdictions."""
    return get_object_or_404(
        selectors.topic_detail(selectors.topics_visible_to(request.user)), pk=pk
    )


@require_GET
@staff_only()
def topic(request: HttpRequest, pk: int) -> HttpResponse:
    """One topic: its form, where it came from and where it went; the send-up form for the task
    force that runs its level while it is still open."""
    return _topic_page(request, _get_topic(request, pk))


@require_POST
@task_force_only
def send_up(request: HttpRequest, pk: int) -> HttpResponse:
    """提交上级恳谈会 (Uxin 二(三)): the topic goes to the parent level's pool, with a reason."""
    topic = _get_topic(request, pk)
    _require_acting(request, topic.jurisdiction_id)
    form = SendUpForm(request.POST)
    outcome = run_action(
        request,
        form,
        lambda data: workflow.send_up(topic_id=topic.pk, actor=request.user, reason=data["reason"]),
        fields={"required": "reason"},
        success=lambda referral: (
            _("Topic %(n)d is sent up to %(unit)s, for its next meeting.")
            % {"n": topic.pk, "unit": referral.jurisdiction.name}
        ),
        redirect_to=reverse("meetings:topic", args=[topic.pk]),
    )
    return outcome.response or _topic_page(request, topic, form, status=400)


# --- the catalogue: task force --------------------------------------------------------------------


def _press(
    request: HttpRequest,
    meeting: Meeting,
    run: Callable[..., object],
    success: object,
    redirect_to: object = None,
) -> HttpResponse:
    """A button on the meeting page: one workflow call on the meeting; a refusal is said on that page."""
    url = _meeting_url(meeting)
    outcome = run_action(
        request,
        EmptyForm(request.POST),
        lambda _data: run(meeting_id=meeting.pk, actor=request.user),
        success=success,
        redirect_to=redirect_to or url,
        refused_to=url,
    )
    return outcome.response


def _button(
    run: Callable[..., object], message: object, guard: Callable = task_force_only
) -> Callable[[HttpRequest, int], HttpResponse]:
    """A POST-only button view: `_press` with a fixed message, back to the meeting page."""

    @require_POST
    @guard
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        return _press(request, _get(request, pk), run, message)

    view.__name__ = view.__qualname__ = run.__name__
    return view


# Number the verified topics into the issue catalogue.
draft = _button(workflow.draft_catalogue, gettext_lazy("The catalogue is drafted."))

reopen = _button(
    workflow.reopen_catalogue, gettext_lazy("The catalogue is open again for changes.")
)


@require_POST
@task_force_only
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the catalogue to the government office, due 4 working days before (Heyuan 四(二))."""
    return _press(
        request,
        _get(request, pk),
        workflow.submit_catalogue,
        lambda submitted: _submitted(request, *submitted),
    )


def _submitted(request: HttpRequest, meeting: Meeting, late: bool) -> str | None:
    """A late catalogue is submitted all the same, with a warning instead of the success message."""
    if late:
        messages.warning(
            request,
            _("The catalogue was submitted late: it was due on %(due)s.")
            % {"due": meeting.catalogue_due_on.isoformat()},
        )
        return None
    return _("The catalogue is submitted for the leaders' approval.")


issue_notice = _button(workflow.issue_notice, gettext_lazy("The meeting notice is issued."))


@require_POST
@task_force_only
def hold(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get(request, pk)
    return _press(
        request,
        meeting,
        workflow.hold,
        _("The meeting is recorded as held. Record the decisions."),
        redirect_to=reverse("meetings:decisions", args=[meeting.pk]),
    )


@require_POST
@task_force_only
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Each item assigned at the meeting becomes a supervised petition (Uxin 二(四))."""
    return _press(
        request,
        _get(request, pk),
        workflow.assign_decisions,
        lambda created: (
            _("Decisions assigned: %(n)d supervised petitions created.") % {"n": len(created)}
        ),
    )


close = _button(workflow.close, gettext_lazy("The meeting is closed."))

# --- the catalogue: leaders -----------------------------------------------------------------------


def _note_action(
    run: Callable[..., object], prefix: str, label: object, message: object
) -> Callable[[HttpRequest, int], HttpResponse]:
    """A leader's note on the catalogue (a form on the meeting page); a refusal is shown under it."""

    @require_POST
    @leaders_only
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        meeting = _get(request, pk)
        form = NoteForm(request.POST, label=str(label), prefix=prefix)
        outcome = run_action(
            request,
            form,
            lambda data: run(meeting_id=meeting.pk, actor=request.user, note=data["note"]),
            fields={"required": "note"},
            success=message,
            redirect_to=_meeting_url(meeting),
        )
        return outcome.response or _meeting_page(
            request, meeting.pk, status=400, **{f"{prefix}_form": form}
        )

    view.__name__ = view.__qualname__ = prefix
    return view


# The deputy leader records the review with the departments (Heyuan 四(三)).
review = _note_action(
    workflow.review_catalogue,
    "review",
    gettext_lazy("Review note"),
    gettext_lazy("Your review is recorded."),
)

# The chair approves the final catalogue (Heyuan 四(三)); another leader gets 403.
approve = _button(
    workflow.approve_catalogue, gettext_lazy("The catalogue is approved."), leaders_only
)

send_back = _note_action(
    workflow.send_back_catalogue,
    "send_back",
    gettext_lazy("What to change"),
    gettext_lazy("The catalogue is sent back to the task force."),
)


# --- on the day -----------------------------------------------------------------------------------


def _decision_form(
    item: CatalogueItem, units: list, data: object = None, *, fresh: bool = False
) -> DecisionForm:
    initial = {
        "decision": item.decision,
        "outcome": item.outcome if item.outcome != Outcome.PENDING else "",
        "lead_unit": item.lead_unit_id if item.outcome == Outcome.ASSIGNED else "",
        "co_units": [u.pk for u in item.co_units.all()],
    }
    return DecisionForm(
        None if fresh else data, prefix=f"item-{item.pk}", units=units, initial=initial
    )


def _decisions_page(
    request: HttpRequest, meeting: Meeting, forms: dict | None = None, status: int = 200
) -> HttpResponse:
    items = selectors.catalogue_items(meeting)
    editable = meeting.state == MeetingState.HELD and selectors.acts_on(
        request.user, meeting.jurisdiction_id
    )
    units = list(selectors.units_for(meeting.jurisdiction)) if editable else []
    forms = forms or {}
    rows = [
        {"item": item, "form": forms.get(item.pk) or _decision_form(item, units)}
        if editable
        else {"item": item}
        for item in items
    ]
    context = {
        "meeting": meeting,
        "rows": rows,
        "editable": editable,
        "undecided": sum(1 for i in items if i.outcome == Outcome.PENDING),
    }
    return render(request, "meetings/staff/decisions.html", context, status=status)


@require_GET
@staff_only()
def decisions(request: HttpRequest, pk: int) -> HttpResponse:
    """Every item's decision on one page: the leader's opinion, settled on the spot or assigned."""
    meeting = _get(request, pk)
    if meeting.state not in selectors.HELD_STATES:
        messages.info(request, _("Decisions are recorded once the meeting is held."))
        return redirect(_meeting_url(meeting))
    return _decisions_page(request, meeting)


@require_POST
@task_force_only
def record_decision(request: HttpRequest, pk: int) -> HttpResponse:
    """One item's decision; with htmx only its row is sent back, else the page is reloaded."""
    item = get_object_or_404(
        selectors.items_visible_to(request.user).select_related("meeting__jurisdiction"), pk=pk
    )
    meeting = item.meeting
    units = list(selectors.units_for(meeting.jurisdiction))
    form = DecisionForm(request.POST, prefix=f"item-{item.pk}", units=units)
    # With htmx the saved row itself is the answer: no message, no redirect.
    outcome = run_action(
        request,
        form,
        lambda data: workflow.record_decision(
            item_id=item.pk,
            actor=request.user,
            decision=data["decision"],
            outcome=data["outcome"],
            lead_unit=data["lead_unit"],
            co_units=data["co_units"],
        ),
        fields={"required": "decision", "bad_outcome": "outcome"},
        success=None
        if request.htmx
        else _("Decision on item %(n)d recorded.") % {"n": item.number},
        redirect_to=None
        if request.htmx
        else f"{reverse('meetings:decisions', args=[meeting.pk])}#item-{item.pk}",
    )
    saved = outcome.ok
    if request.htmx:
        fresh = selectors.catalogue_items(meeting)
        row_item = next(i for i in fresh if i.pk == item.pk)
        row = {
            "item": row_item,
            "form": _decision_form(row_item, units, fresh=saved) if saved else form,
        }
        context = {
            "row": row,
            "editable": True,
            "saved": saved,
            "meeting": meeting,
            "oob": True,
            "undecided": sum(1 for i in fresh if i.outcome == Outcome.PENDING),
        }
        return render(request, "meetings/staff/_decision_row.html", context)
    return outcome.response or _decisions_page(request, meeting, forms={item.pk: form}, status=400)
