"""Reads for the meeting pages and printed documents (docs/conventions.md C4: multi-model page reads live here).

Who sees which meeting (docs/rules.md §8): the task force, leaders and the supervision office of a
jurisdiction see its meetings and those of the jurisdictions below it; an enterprise sees only the
meetings it was invited to and only its own topics. Everything else is a 404.

Who runs which meeting (docs/rules.md §1): a task force plans and runs the meetings of its own level
and of lower levels without a task force of their own (`acts_on`, as petitions.access does for cases);
a district's other meetings it reads. meetings/workflow.py checks the same again on every action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from meetings.models import (
    CatalogueItem,
    Meeting,
    MeetingEvaluation,
    MeetingState,
    Outcome,
    Topic,
    TopicStatus,
)
from petitions import access, levels, limits
from petitions.models import (
    OPEN_STATES,
    Deadline,
    Enterprise,
    EnterpriseTag,
    Evaluation,
    LimitRule,
    OrgUnit,
    Reply,
    ReplyKind,
    Role,
    Step,
    User,
)
from petitions.selectors import staff as petition_selectors
from petitions.workdays import quarter_end, quarter_start
from supervision.models import KeyStatus, KeySupervision

STAFF_ROLES = (Role.TASK_FORCE, Role.LEADER, Role.SUPERVISOR)
# A meeting counts as held for the quarter once it took place (docs/rules.md §5: at least quarterly).
HELD_STATES = (MeetingState.HELD, MeetingState.ASSIGNED, MeetingState.CLOSED)
# The states in order, for the lifecycle shown on the meeting page.
LIFECYCLE = [value for value, _label in MeetingState.choices]


# --- who sees what --------------------------------------------------------------------------------


def jurisdiction_ids(user: User) -> list[int]:
    """The jurisdictions a staff member works in (their own and those below it); walked once per
    user object, so a page, its list and the quarterly warning share one walk of the tree."""
    if not (user.is_authenticated and user.has_role(*STAFF_ROLES) and user.unit_id):
        return []
    if getattr(user, "_meeting_jurisdiction_ids", None) is None:
        user._meeting_jurisdiction_ids = access.jurisdiction_ids_under(user.unit)
    return user._meeting_jurisdiction_ids


def acting_ids(user: User) -> set[int]:
    """The jurisdictions whose meetings this official's level runs (`levels.acting_ids`), walked
    once per user object like `jurisdiction_ids`; none for firms and handlers."""
    if not (user.is_authenticated and user.has_role(*STAFF_ROLES) and user.unit_id):
        return set()
    if getattr(user, "_meeting_acting_ids", None) is None:
        user._meeting_acting_ids = levels.acting_ids(user.unit)
    return user._meeting_acting_ids


def acts_on(user: User, jurisdiction_id: int) -> bool:
    """Whether this task force runs the meetings and topics of that jurisdiction (else it reads)."""
    return user.role == Role.TASK_FORCE and jurisdiction_id in acting_ids(user)


def leader_acts_on(user: User, meeting: Meeting) -> bool:
    """A leader of the level that runs the meeting, or its chair, works on its catalogue."""
    return user.role == Role.LEADER and (
        user.pk == meeting.chair_id or meeting.jurisdiction_id in acting_ids(user)
    )


def meetings_visible_to(user: User) -> QuerySet[Meeting]:
    if not user.is_authenticated or not user.is_active:
        return Meeting.objects.none()
    if user.role == Role.ENTERPRISE:
        if user.enterprise_id is None:
            return Meeting.objects.none()
        return Meeting.objects.filter(firms=user.enterprise_id)
    ids = jurisdiction_ids(user)
    return Meeting.objects.filter(jurisdiction_id__in=ids) if ids else Meeting.objects.none()


def topics_visible_to(user: User) -> QuerySet[Topic]:
    if not user.is_authenticated or not user.is_active:
        return Topic.objects.none()
    if user.role == Role.ENTERPRISE:
        if user.enterprise_id is None:
            return Topic.objects.none()
        return Topic.objects.filter(enterprise_id=user.enterprise_id)
    ids = jurisdiction_ids(user)
    return Topic.objects.filter(jurisdiction_id__in=ids) if ids else Topic.objects.none()


def items_visible_to(user: User) -> QuerySet[CatalogueItem]:
    ids = jurisdiction_ids(user)
    if not ids:
        return CatalogueItem.objects.none()
    return CatalogueItem.objects.filter(meeting__jurisdiction_id__in=ids)


# --- lists ----------------------------------------------------------------------------------------


def meeting_list(
    visible: QuerySet[Meeting], *, jurisdiction: str = "", state: str = ""
) -> QuerySet:
    rows = visible.select_related("jurisdiction", "chair").annotate(
        n_topics=Count("topics", distinct=True), n_items=Count("items", distinct=True)
    )
    if jurisdiction.isdigit():
        rows = rows.filter(jurisdiction_id=int(jurisdiction))
    if state in MeetingState.values:
        rows = rows.filter(state=state)
    return rows.order_by("jurisdiction__kind", "jurisdiction__name", "-date", "-pk")


def jurisdictions_for(user: User) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(pk__in=jurisdiction_ids(user)).order_by("kind", "name")


def jurisdictions_to_plan(user: User) -> QuerySet[OrgUnit]:
    """Where this task force may plan a meeting: the levels it runs, not those it only reads."""
    return OrgUnit.objects.filter(pk__in=acting_ids(user)).order_by("kind", "name")


def firm_topics(user: User) -> QuerySet[Topic]:
    """The enterprise's own topics, newest first."""
    return topics_visible_to(user).select_related("meeting", "item").order_by("-created_at", "-pk")


def firm_meetings(user: User) -> QuerySet[Meeting]:
    """Meetings the enterprise was invited to, with whether it has evaluated each."""
    mine = MeetingEvaluation.objects.filter(
        meeting=OuterRef("pk"), enterprise_id=user.enterprise_id
    )
    return (
        meetings_visible_to(user)
        .select_related("jurisdiction")
        .annotate(evaluated=Exists(mine))
        .order_by("-date", "-pk")
    )


# --- choices for the forms ------------------------------------------------------------------------


def leaders_for(user: User) -> QuerySet[User]:
    """Active leaders whose unit is one of the user's jurisdictions or sits directly under one."""
    ids = jurisdiction_ids(user)
    return (
        User.objects.filter(role=Role.LEADER, is_active=True)
        .filter(Q(unit_id__in=ids) | Q(unit__parent_id__in=ids))
        .select_related("unit")
        .order_by("unit__name", "last_name", "username")
    )


def units_for(jurisdiction: OrgUnit) -> QuerySet[OrgUnit]:
    """Departments and lower governments that can lead or co-handle in this jurisdiction."""
    return petition_selectors.handling_units_queryset(jurisdiction).order_by("kind", "name")


def firms_for(user: User) -> QuerySet[Enterprise]:
    ids = jurisdiction_ids(user)
    return (
        Enterprise.objects.filter(jurisdiction_id__in=ids, is_verified=True)
        .prefetch_related("tags")
        .order_by("name")
    )


def tags() -> QuerySet[EnterpriseTag]:
    return EnterpriseTag.objects.order_by("code")


# --- the meeting page -----------------------------------------------------------------------------


def meeting_detail(visible: QuerySet[Meeting]) -> QuerySet[Meeting]:
    return visible.select_related(
        "jurisdiction", "chair", "reviewed_by", "approved_by", "created_by"
    ).prefetch_related(
        Prefetch("leaders", queryset=User.objects.order_by("username")),
        Prefetch("departments", queryset=OrgUnit.objects.order_by("name")),
        Prefetch("firms", queryset=Enterprise.objects.order_by("name")),
    )


def catalogue_items(meeting: Meeting) -> list[CatalogueItem]:
    """The catalogue in order, with units, the topic's firm and, once assigned, the petition and its
    reply deadline (four queries for any number of items)."""
    reply = Deadline.objects.filter(step=Step.REPLY).order_by("-pk")
    return list(
        meeting.items.select_related(
            "lead_unit", "topic__enterprise", "topic__petition", "petition__lead_unit"
        )
        .prefetch_related(
            Prefetch("co_units", queryset=OrgUnit.objects.order_by("name")),
            Prefetch("petition__deadlines", queryset=reply, to_attr="reply_deadlines"),
        )
        .order_by("number")
    )


def topic_counts(meeting: Meeting) -> dict[str, int]:
    return meeting.topics.aggregate(
        total=Count("pk"),
        new=Count("pk", filter=Q(status=TopicStatus.NEW)),
        verified=Count("pk", filter=Q(status=TopicStatus.VERIFIED)),
        dropped=Count("pk", filter=Q(status=TopicStatus.DROPPED)),
        catalogued=Count("pk", filter=Q(status=TopicStatus.CATALOGUED)),
    )


def catalogue_limit(meeting: Meeting) -> int:
    return limits.limit_for(LimitRule.CATALOGUE, meeting.jurisdiction).amount


def lifecycle(meeting: Meeting) -> list[dict]:
    here = LIFECYCLE.index(meeting.state)
    return [
        {
            "value": value,
            "label": MeetingState(value).label,
            "status": "done" if i < here else "current" if i == here else "todo",
        }
        for i, value in enumerate(LIFECYCLE)
    ]


def allowed_actions(meeting: Meeting, user: User) -> set[str]:
    """What this user may do next on the page; the workflow checks again on submit. A parent level's
    officials only read a district's meeting when the district runs it (docs/rules.md §1)."""
    if user.role == Role.TASK_FORCE:
        if not acts_on(user, meeting.jurisdiction_id):
            return set()
        return {
            MeetingState.PLANNING: {"add_topic", "draft"},
            MeetingState.DRAFTED: {"reopen", "submit"},
            MeetingState.APPROVED: {"issue_notice"},
            MeetingState.NOTICE_ISSUED: {"hold"},
            MeetingState.HELD: {"decide", "assign"},
            MeetingState.ASSIGNED: {"close"},
        }.get(meeting.state, set())
    if (
        user.role == Role.LEADER
        and meeting.state == MeetingState.SUBMITTED
        and leader_acts_on(user, meeting)
    ):
        actions = {"review", "send_back"}
        if user.pk == meeting.chair_id:
            actions.add("approve")
        return actions
    return set()


# --- topics ---------------------------------------------------------------------------------------


def meeting_topics(meeting: Meeting) -> list[Topic]:
    return list(
        meeting.topics.select_related(
            "enterprise",
            "channel_unit",
            "lead_unit",
            "petition",
            "submitted_by",
            "referred_from__jurisdiction",
            "referral__jurisdiction",
        )
        .prefetch_related(Prefetch("co_units", queryset=OrgUnit.objects.order_by("name")))
        .order_by("created_at", "pk")
    )


def topic_pool(meeting: Meeting) -> QuerySet[Topic]:
    """Topics of the jurisdiction not on this meeting that are still open: firms' forms submitted
    when no meeting was being planned, or left over from another meeting."""
    return (
        Topic.objects.filter(
            jurisdiction=meeting.jurisdiction, status__in=(TopicStatus.NEW, TopicStatus.VERIFIED)
        )
        .filter(Q(meeting__isnull=True) | ~Q(meeting=meeting))
        .select_related("enterprise", "meeting", "referred_from__jurisdiction")
        .order_by("created_at", "pk")
    )


# Open topics, as the pool page lists them.
OPEN_TOPIC = (TopicStatus.NEW, TopicStatus.VERIFIED)


def pooled_topics(user: User) -> QuerySet[Topic]:
    """Open topics of the user's jurisdictions waiting for a meeting of their level: not on a meeting,
    or left over from one no longer being planned; those sent up from below are among them."""
    return (
        topics_visible_to(user)
        .filter(status__in=OPEN_TOPIC)
        .filter(Q(meeting__isnull=True) | ~Q(meeting__state=MeetingState.PLANNING))
        .select_related("jurisdiction", "enterprise", "meeting", "referred_from__jurisdiction")
        .order_by("jurisdiction__kind", "jurisdiction__name", "created_at", "pk")
    )


def sent_up_topics(user: User) -> QuerySet[Topic]:
    """Topics the user's levels sent up, newest first, with where each went and how it stands
    there (the level that sent it keeps following it, docs/rules.md §1)."""
    return (
        topics_visible_to(user)
        .filter(status=TopicStatus.SENT_UP)
        .select_related(
            "jurisdiction", "enterprise", "meeting", "referral__jurisdiction", "referral__meeting"
        )
        .order_by("-referral__created_at", "-pk")
    )


def topic_detail(visible: QuerySet[Topic]) -> QuerySet[Topic]:
    """One topic with where it came from and where it went."""
    return visible.select_related(
        "jurisdiction",
        "meeting",
        "enterprise",
        "petition",
        "channel_unit",
        "lead_unit",
        "submitted_by",
        "referred_from__jurisdiction",
        "referred_from__meeting",
        "referred_from__submitted_by",
        "referral__jurisdiction",
        "referral__meeting",
        "referral__submitted_by",
    ).prefetch_related(Prefetch("co_units", queryset=OrgUnit.objects.order_by("name")))


# --- documents ------------------------------------------------------------------------------------


def evaluations(meeting: Meeting) -> list[MeetingEvaluation]:
    return list(meeting.evaluations.select_related("enterprise").order_by("created_at", "pk"))


@dataclass
class HandlingForm:
    """议题办理情况表 (Uxin 附件2) for one catalogue item."""

    item: CatalogueItem
    topic: Topic
    co_units: list[OrgUnit]
    result: str
    result_at: object
    feedback: list[Evaluation]
    meeting_feedback: MeetingEvaluation | None
    overdue: bool
    key_status: str


def handling_forms(items: list[CatalogueItem], today: date) -> list[HandlingForm]:
    """The handling form of each item: the petition's reply if it was assigned, else the decision;
    the firm's rating; whether it is overdue or on the key-supervision list."""
    petition_ids = [i.petition_id for i in items if i.petition_id]
    replies: dict[int, Reply] = {}
    for reply in Reply.objects.filter(petition_id__in=petition_ids, kind=ReplyKind.REPLY).order_by(
        "created_at", "pk"
    ):
        replies[reply.petition_id] = reply  # the latest reply wins
    ratings: dict[int, list[Evaluation]] = {}
    for evaluation in Evaluation.objects.filter(petition_id__in=petition_ids).order_by(
        "created_at", "pk"
    ):
        ratings.setdefault(evaluation.petition_id, []).append(evaluation)
    keys = {
        k.petition_id: k.get_status_display()
        for k in KeySupervision.objects.filter(
            petition_id__in=petition_ids, status__in=(KeyStatus.PROPOSED, KeyStatus.APPROVED)
        )
    }
    meeting_ids = {i.meeting_id for i in items}
    by_firm = {
        (e.meeting_id, e.enterprise_id): e
        for e in MeetingEvaluation.objects.filter(meeting_id__in=meeting_ids)
    }
    forms = []
    for item in items:
        petition = item.petition
        reply = replies.get(item.petition_id) if petition else None
        forms.append(
            HandlingForm(
                item=item,
                topic=item.topic,
                co_units=list(item.co_units.all()),
                result=reply.text if reply else item.decision,
                result_at=reply.created_at if reply else None,
                feedback=ratings.get(item.petition_id, []) if petition else [],
                meeting_feedback=by_firm.get((item.meeting_id, item.topic.enterprise_id)),
                overdue=bool(
                    petition
                    and petition.state in OPEN_STATES
                    and petition.due_on
                    and petition.due_on < today
                ),
                key_status=keys.get(item.petition_id, "") if petition else "",
            )
        )
    return forms


def handling_items(queryset: QuerySet[CatalogueItem]) -> list[CatalogueItem]:
    return list(
        queryset.select_related(
            "meeting__jurisdiction", "lead_unit", "topic__enterprise", "petition"
        )
        .prefetch_related(Prefetch("co_units", queryset=OrgUnit.objects.order_by("name")))
        .order_by("meeting", "number")
    )


# --- the quarterly warning ------------------------------------------------------------------------


def jurisdictions_without_meeting(user: User, today: date) -> list[OrgUnit]:
    """Jurisdictions the user sees that have held no meeting this quarter (docs/rules.md §5: at least
    quarterly), each with `next_planned`: the date of a meeting still to come this quarter, if any."""
    ids = jurisdiction_ids(user)
    if not ids:
        return []
    start, end = quarter_start(today), quarter_end(today)
    held = Meeting.objects.filter(
        jurisdiction=OuterRef("pk"), state__in=HELD_STATES, date__range=(start, end)
    )
    planned = (
        Meeting.objects.filter(jurisdiction=OuterRef("pk"), date__range=(today, end))
        .exclude(state__in=HELD_STATES)
        .order_by("date")
        .values("date")[:1]
    )
    return list(
        OrgUnit.objects.filter(pk__in=ids, is_active=True)
        .annotate(held=Exists(held), next_planned=Subquery(planned))
        .filter(held=False)
        .order_by("kind", "name")
    )


def assigned_petitions(items: list[CatalogueItem]) -> list[CatalogueItem]:
    return [i for i in items if i.outcome == Outcome.ASSIGNED and i.petition_id]
