"""Every business action on a meeting (Heyuan 四; docs/rules.md §6), one atomic function per verb.

    planning      ──draft_catalogue──▶  drafted  ──submit_catalogue──▶  submitted
    drafted       ──reopen──▶ planning            submitted ──review (deputy)──▶ submitted
    submitted     ──approve (chair)──▶ approved   submitted ──send_back──▶ drafted
    approved      ──issue_notice──▶ notice_issued ──hold──▶ held
    held          ──assign_decisions (every item decided)──▶ assigned ──close──▶ closed

Topics come from firms (议题表), from staff for a department's channel, from petitions the agenda
rules propose, or from a lower level that could not settle them (`send_up`, Uxin 二(三)). Each level's
task force runs its own meetings; a parent reads a district's meetings and runs them only for a level
without a task force of its own (docs/rules.md §1). Each catalogue item assigned at the meeting becomes a supervised petition: registered
for the firm (channel: meeting), assigned by decision with the 7/15-day limits, tracked in the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings.models import (
    AgendaRule,
    CatalogueItem,
    Meeting,
    MeetingEvaluation,
    Outcome,
    OverallRating,
    Topic,
    TopicSource,
    TopicStatus,
)
from notices import events as notice_events
from notices import outbox
from petitions import access, levels, limits, workdays
from petitions import workflow as petitions_workflow
from petitions import workflow_kit as kit
from petitions.exceptions import WorkflowError
from petitions.models import (
    Channel,
    Enterprise,
    LimitRule,
    OrgUnit,
    Petition,
    PetitionType,
    Role,
    State,
    Theme,
    User,
)

CATALOGUE_WORKING_DAYS = 4


def _lock(meeting_id: int) -> Meeting:
    return kit.lock(
        Meeting, meeting_id, _("This meeting does not exist."), related=("jurisdiction",)
    )


def _fire(meeting: Meeting, name: str, **kwargs: object) -> None:
    kit.fire(meeting, name, _("This cannot be done while the meeting is “%(state)s”."), **kwargs)


def _require_staff(actor: User, jurisdiction: OrgUnit) -> None:
    """A task force runs the meetings of its own level and of lower levels without a task force of
    their own; a district's other meetings it only reads (docs/rules.md §1, as
    petitions.access.task_force_acts_on for cases). Checked afresh on every call, never cached."""
    if not (
        actor.has_role(Role.TASK_FORCE)
        and actor.unit_id
        and jurisdiction.pk in levels.acting_ids(actor.unit)
    ):
        raise PermissionDenied(_("Only the task force of this jurisdiction may do this."))


def _require_leader(actor: User, meeting: Meeting) -> None:
    """The leaders of the level that runs the meeting review its catalogue, and its chair in any
    case; a parent's leaders read a district's meetings (docs/rules.md §1)."""
    if not (
        actor.has_role(Role.LEADER)
        and actor.unit_id
        and meeting.jurisdiction_id in access.jurisdiction_ids_under(actor.unit)
        and (
            actor.pk == meeting.chair_id or meeting.jurisdiction_id in levels.acting_ids(actor.unit)
        )
    ):
        raise PermissionDenied(_("Only a leader of this jurisdiction may do this."))


def catalogue_due(meeting_date: date, jurisdiction: OrgUnit | None = None) -> date:
    """The catalogue goes to the government office 4 working days before the meeting (Heyuan 四(二))."""
    amount = limits.limit_for(LimitRule.CATALOGUE, jurisdiction).amount
    return workdays.working_days_before(meeting_date, amount)


# --- planning ------------------------------------------------------------------------------------


@transaction.atomic
def plan(
    *,
    actor: User,
    jurisdiction: OrgUnit,
    kind: str,
    title: str,
    date: date,
    chair: User,
    location: str = "",
    leaders: Iterable[User] = (),
    departments: Iterable[OrgUnit] = (),
    firms: Iterable[Enterprise] = (),
) -> Meeting:
    _require_staff(actor, jurisdiction)
    if not jurisdiction.is_jurisdiction:
        raise WorkflowError(_("Choose a city, district or zone."), code="bad_jurisdiction")
    if date < timezone.localdate():
        raise WorkflowError(_("The meeting date cannot be in the past."), code="past")
    if not chair.has_role(Role.LEADER):
        raise WorkflowError(_("The chair must be a leader."), code="bad_chair")
    meeting = Meeting.objects.create(
        jurisdiction=jurisdiction,
        kind=kind,
        title=kit.required(title, _("A title is required.")),
        date=date,
        location=location.strip(),
        chair=chair,
        catalogue_due_on=catalogue_due(date, jurisdiction),
        created_by=actor,
    )
    meeting.leaders.set(leaders)
    meeting.departments.set(departments)
    meeting.firms.set(firms)
    return meeting


# --- topics ---------------------------------------------------------------------------------------


def _next_meeting(jurisdiction: OrgUnit) -> Meeting | None:
    return (
        Meeting.objects.filter(
            jurisdiction=jurisdiction, state="planning", date__gte=timezone.localdate()
        )
        .order_by("date")
        .first()
    )


@transaction.atomic
def submit_topic_by_firm(
    *,
    actor: User,
    person_in_charge: str,
    phone: str,
    problem: str,
    suggestion: str = "",
    remarks: str = "",
) -> Topic:
    """议题表 from the portal, for the next meeting of the firm's jurisdiction (Uxin 附件1)."""
    if not actor.has_role(Role.ENTERPRISE) or actor.enterprise is None:
        raise PermissionDenied(_("Only an enterprise may submit a topic here."))
    enterprise = actor.enterprise
    if not enterprise.is_verified:
        raise WorkflowError(_("Your enterprise has not been verified yet."), code="unverified")
    return Topic.objects.create(
        jurisdiction=enterprise.jurisdiction,
        meeting=_next_meeting(enterprise.jurisdiction),
        source=TopicSource.FIRM,
        enterprise=enterprise,
        person_in_charge=kit.required(person_in_charge, _("Name the person in charge.")),
        phone=kit.required(phone, _("A phone number is required.")),
        problem=kit.required(problem, _("Describe the problem.")),
        suggestion=suggestion.strip(),
        remarks=remarks.strip(),
        submitted_by=actor,
    )


@transaction.atomic
def add_topic(
    *,
    meeting_id: int,
    actor: User,
    problem: str,
    enterprise: Enterprise | None = None,
    channel_unit: OrgUnit | None = None,
    person_in_charge: str = "",
    phone: str = "",
    suggestion: str = "",
    remarks: str = "",
) -> Topic:
    """A topic entered by staff for a department's channel (人大/政协, 发改, 商务, 政数, 工商联 …)."""
    meeting = _lock(meeting_id)
    _require_staff(actor, meeting.jurisdiction)
    if meeting.state != "planning":
        raise WorkflowError(
            _("Topics can only be added while the meeting is being planned."), code="closed"
        )
    return Topic.objects.create(
        jurisdiction=meeting.jurisdiction,
        meeting=meeting,
        source=TopicSource.STAFF,
        enterprise=enterprise,
        channel_unit=channel_unit,
        person_in_charge=person_in_charge.strip(),
        phone=phone.strip(),
        problem=kit.required(problem, _("Describe the problem.")),
        suggestion=suggestion.strip(),
        remarks=remarks.strip(),
        submitted_by=actor,
    )


@transaction.atomic
def take_topic(*, meeting_id: int, actor: User, topic_id: int) -> Topic:
    """Put a firm's pooled topic on this meeting."""
    meeting = _lock(meeting_id)
    _require_staff(actor, meeting.jurisdiction)
    topic = (
        Topic.objects.select_for_update()
        .filter(pk=topic_id, jurisdiction=meeting.jurisdiction)
        .first()
    )
    if topic is None:
        raise WorkflowError(_("This topic does not exist."), code="missing")
    if meeting.state != "planning" or topic.status not in (TopicStatus.NEW, TopicStatus.VERIFIED):
        raise WorkflowError(_("This topic cannot be taken now."), code="closed")
    if (
        topic.petition_id
        and Topic.objects.filter(meeting=meeting, petition_id=topic.petition_id).exists()
    ):
        # A topic sent up with its petition may meet that petition already on the agenda.
        raise WorkflowError(_("This petition is already a topic of the meeting."), code="duplicate")
    topic.meeting = meeting
    topic.save(update_fields=["meeting"])
    return topic


@transaction.atomic
def take_petition(*, meeting_id: int, actor: User, petition_id: int, rule: str) -> Topic:
    """Put a petition the agenda rules proposed on the meeting, recording the rule that matched."""
    meeting = _lock(meeting_id)
    _require_staff(actor, meeting.jurisdiction)
    if meeting.state != "planning":
        raise WorkflowError(
            _("Topics can only be added while the meeting is being planned."), code="closed"
        )
    if rule not in AgendaRule.values:
        raise WorkflowError(_("Unknown agenda rule."), code="bad_rule")
    petition = (
        Petition.objects.visible_to(actor)
        .select_related("enterprise")
        .filter(pk=petition_id)
        .first()
    )
    if petition is None:
        raise WorkflowError(_("The petition was not found."), code="missing")
    if petition.jurisdiction_id not in levels.acting_ids(meeting.jurisdiction):
        # A district with its own task force raises its cases at its own meetings and sends up
        # what it cannot settle (docs/rules.md §1).
        raise WorkflowError(
            _("Another level runs this petition; it can send it up to this meeting."),
            code="other_level",
        )
    if petition.meeting_opt_out:
        raise WorkflowError(
            _("The enterprise asked not to raise this petition at a meeting."), code="opt_out"
        )
    if Topic.objects.filter(meeting=meeting, petition=petition).exists():
        raise WorkflowError(_("This petition is already a topic of the meeting."), code="duplicate")
    enterprise = petition.enterprise
    return Topic.objects.create(
        jurisdiction=meeting.jurisdiction,
        meeting=meeting,
        source=TopicSource.PETITION,
        rule=rule,
        enterprise=enterprise,
        petition=petition,
        person_in_charge=enterprise.contact_name,
        phone=str(enterprise.contact_phone),
        problem=f"{petition.title}\n{petition.content}",
        suggestion=petition.request,
        remarks=_("Petition %(number)s, now “%(state)s”.")
        % {"number": petition.number, "state": petition.get_state_display()},
        lead_unit=petition.lead_unit,
        submitted_by=actor,
    )


@transaction.atomic
def verify_topic(
    *,
    topic_id: int,
    actor: User,
    keep: bool,
    note: str,
    opinion: str = "",
    lead_unit: OrgUnit | None = None,
    co_units: Iterable[OrgUnit] = (),
) -> Topic:
    """Verify with the departments concerned and draft the handling opinion, or drop the topic (Heyuan 四(二))."""
    topic = (
        Topic.objects.select_for_update(of=("self",))
        .select_related("meeting", "jurisdiction")
        .filter(pk=topic_id)
        .first()
    )
    if topic is None:
        raise WorkflowError(_("This topic does not exist."), code="missing")
    _require_staff(actor, topic.jurisdiction)
    if (
        topic.meeting is None
        or topic.meeting.state != "planning"
        or topic.status in (TopicStatus.CATALOGUED, TopicStatus.SENT_UP)
    ):
        raise WorkflowError(_("This topic cannot be changed now."), code="closed")
    topic.verification_note = kit.required(note, _("Record what the departments said."))
    if keep:
        topic.opinion = kit.required(opinion, _("Draft the proposed handling opinion."))
        if lead_unit is None:
            raise WorkflowError(_("Choose the lead unit."), code="unit_required")
        co_units = [u for u in co_units if u.pk != lead_unit.pk]
        topic.lead_unit = lead_unit
        topic.status = TopicStatus.VERIFIED
        topic.save()
        topic.co_units.set(co_units)
    else:
        topic.status = TopicStatus.DROPPED
        topic.save()
    return topic


# Until the transfer letter a petition may still change level (petitions.workflow.pass_up);
# after it, the lead unit keeps the case and only the topic goes up (docs/decisions.md D45).
_MOVABLE = (State.REGISTERED, State.ACCEPTED, State.RETURNED)


@transaction.atomic
def send_up(*, topic_id: int, actor: User, reason: str) -> Topic:
    """提交上级恳谈会 (Uxin 二(三); docs/rules.md §1): a topic this level cannot settle goes to the
    parent level's topic pool, for the parent's task force to put on its next meeting; the original
    stays here, marked as sent up. The topic's petition goes up with it while it is still early
    (registered, accepted or returned); once assigned, its lead unit keeps it."""
    topic = (
        Topic.objects.select_for_update(of=("self",))
        .select_related("jurisdiction")
        .filter(pk=topic_id)
        .first()
    )
    if topic is None:
        raise WorkflowError(_("This topic does not exist."), code="missing")
    _require_staff(actor, topic.jurisdiction)
    if topic.status == TopicStatus.SENT_UP:
        # The row lock makes a second press wait for the first and then land here.
        raise WorkflowError(_("This topic has already been sent up."), code="sent_up")
    if topic.status not in (TopicStatus.NEW, TopicStatus.VERIFIED):
        raise WorkflowError(
            _("A topic that is “%(status)s” cannot be sent up.")
            % {"status": topic.get_status_display()},
            code="closed",
        )
    reason = kit.required(reason, _("Explain why the topic goes to the higher level."))
    parent = levels.parent_of(topic.jurisdiction)
    if parent is None:
        raise WorkflowError(_("There is no higher level to send this topic to."), code="no_parent")
    petition = (
        Petition.objects.select_for_update().filter(pk=topic.petition_id).first()
        if topic.petition_id
        else None
    )
    if (
        petition is not None
        and petition.jurisdiction_id == topic.jurisdiction_id
        and petition.state in _MOVABLE
    ):
        petitions_workflow.pass_up(petition_id=petition.pk, actor=actor, reason=reason)
    referral = Topic.objects.create(
        jurisdiction=parent,
        source=TopicSource.REFERRED,
        referred_from=topic,
        referral_reason=reason,
        rule=topic.rule,
        enterprise_id=topic.enterprise_id,
        petition_id=topic.petition_id,
        person_in_charge=topic.person_in_charge,
        phone=topic.phone,
        problem=topic.problem,
        suggestion=topic.suggestion,
        remarks=topic.remarks,
        submitted_by=actor,
    )
    topic.status = TopicStatus.SENT_UP
    topic.save(update_fields=["status"])
    # The parent's task force learns of it now, not at its next look at the pool (docs/notices.md).
    outbox.tell(
        "tf.topic_arrived",
        notice_events.task_force(parent),
        source=f"topic:{referral.pk}:arrived",
        context={"level": topic.jurisdiction.name, "problem": topic.problem[:20]},
        link=reverse("meetings:topic", args=[referral.pk]),
    )
    return referral


# --- the catalogue --------------------------------------------------------------------------------


@transaction.atomic
def draft_catalogue(*, meeting_id: int, actor: User) -> Meeting:
    """Number the verified topics into the issue catalogue."""
    meeting = _lock(meeting_id)
    _require_staff(actor, meeting.jurisdiction)
    topics = list(
        meeting.topics.filter(status=TopicStatus.VERIFIED)
        .select_related("enterprise", "lead_unit")
        .prefetch_related("co_units")
        .order_by("created_at", "pk")
    )
    if not topics:
        raise WorkflowError(
            _("Verify at least one topic before drafting the catalogue."), code="empty"
        )
    _fire(meeting, "draft_catalogue")
    meeting.save()
    meeting.items.all().delete()
    for number, topic in enumerate(topics, start=1):
        assert topic.lead_unit is not None  # verify_topic refuses a topic without one
        co_units = list(topic.co_units.all())
        rule = LimitRule.MEETING_REPLY_MULTI if co_units else LimitRule.MEETING_REPLY_SINGLE
        item = CatalogueItem.objects.create(
            meeting=meeting,
            topic=topic,
            number=number,
            enterprise_name=topic.enterprise.name if topic.enterprise else "",
            problem=topic.problem,
            opinion=topic.opinion,
            lead_unit=topic.lead_unit,
            limit_days=limits.limit_for(rule, meeting.jurisdiction).amount,
        )
        item.co_units.set(co_units)
    meeting.topics.filter(status=TopicStatus.VERIFIED).update(status=TopicStatus.CATALOGUED)
    return meeting


@transaction.atomic
def reopen_catalogue(*, meeting_id: int, actor: User) -> Meeting:
    """Back to planning to change topics; the drafted rows are discarded."""
    meeting = _lock(meeting_id)
    _require_staff(actor, meeting.jurisdiction)
    _fire(meeting, "reopen_catalogue")
    meeting.save()
    Topic.objects.filter(item__meeting=meeting).update(status=TopicStatus.VERIFIED)
    meeting.items.all().delete()
    return meeting


@transaction.atomic
def submit_catalogue(*, meeting_id: int, actor: User) -> tuple[Meeting, bool]:
    """Send the catalogue to the government office; returns (meeting, late) — late is allowed but shown."""
    meeting = _lock(meeting_id)
    _require_staff(actor, meeting.jurisdiction)
    _fire(meeting, "submit_catalogue", at=timezone.now())
    meeting.save()
    return meeting, timezone.localdate() > meeting.catalogue_due_on


@transaction.atomic
def review_catalogue(*, meeting_id: int, actor: User, note: str) -> Meeting:
    """The deputy leader convenes the departments and records the review (Heyuan 四(三))."""
    meeting = _lock(meeting_id)
    _require_leader(actor, meeting)
    _fire(
        meeting,
        "review",
        by=actor,
        at=timezone.now(),
        note=kit.required(note, _("Record the review.")),
    )
    meeting.save()
    return meeting


@transaction.atomic
def approve_catalogue(*, meeting_id: int, actor: User) -> Meeting:
    """The chair approves the final catalogue (Heyuan 四(三))."""
    meeting = _lock(meeting_id)
    _require_leader(actor, meeting)
    if actor.pk != meeting.chair_id:
        raise PermissionDenied(_("Only the chair approves the catalogue."))
    _fire(meeting, "approve", by=actor, at=timezone.now())
    meeting.save()
    return meeting


@transaction.atomic
def send_back_catalogue(*, meeting_id: int, actor: User, note: str) -> Meeting:
    meeting = _lock(meeting_id)
    _require_leader(actor, meeting)
    meeting.review_note = kit.required(note, _("Say what to change."))
    _fire(meeting, "send_back")
    meeting.save()
    return meeting


@transaction.atomic
def issue_notice(*, meeting_id: int, actor: User) -> Meeting:
    """印发会议通知; each invited firm is told in the same transaction (docs/notices.md)."""
    meeting = _lock(meeting_id)
    _require_staff(actor, meeting.jurisdiction)
    _fire(meeting, "issue_notice", at=timezone.now())
    meeting.save()
    context = {"title": meeting.title, "date": f"{meeting.date:%Y-%m-%d}"}
    for firm in meeting.firms.prefetch_related("accounts"):
        outbox.tell(
            "firm.meeting_invitation",
            outbox.firm(firm),
            source=f"meeting:{meeting.pk}:notice:e{firm.pk}",
            context=context,
            link=reverse("meetings:portal_meetings"),
        )
    return meeting


@transaction.atomic
def hold(*, meeting_id: int, actor: User) -> Meeting:
    """Record that the meeting took place; decisions are due for assignment 1 working day later."""
    meeting = _lock(meeting_id)
    _require_staff(actor, meeting.jurisdiction)
    _fire(meeting, "hold", at=timezone.now())
    meeting.save()
    due = limits.due(LimitRule.MEETING_ASSIGN, meeting.jurisdiction, timezone.localdate()).due_on
    meeting.items.update(assign_due_on=due)
    return meeting


# --- on the day and after -------------------------------------------------------------------------


@transaction.atomic
def record_decision(
    *,
    item_id: int,
    actor: User,
    decision: str,
    outcome: str,
    lead_unit: OrgUnit | None = None,
    co_units: Iterable[OrgUnit] = (),
) -> CatalogueItem:
    """The leader's opinion on one item: settled on the spot, or assigned to departments."""
    item = (
        CatalogueItem.objects.select_for_update(of=("self",))
        .select_related("meeting__jurisdiction")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise WorkflowError(_("This item does not exist."), code="missing")
    _require_staff(actor, item.meeting.jurisdiction)
    if item.meeting.state != "held" or item.petition_id:
        raise WorkflowError(
            _("Decisions are recorded after the meeting is held and before assignment."),
            code="closed",
        )
    if outcome not in (Outcome.SETTLED, Outcome.ASSIGNED):
        raise WorkflowError(_("Choose whether it was settled or assigned."), code="bad_outcome")
    item.decision = kit.required(decision, _("Record the leader's decision."))
    item.outcome = outcome
    if outcome == Outcome.ASSIGNED:
        item.lead_unit = lead_unit or item.lead_unit
        co_units = [u for u in co_units if u.pk != item.lead_unit_id]
        rule = LimitRule.MEETING_REPLY_MULTI if co_units else LimitRule.MEETING_REPLY_SINGLE
        item.limit_days = limits.limit_for(rule, item.meeting.jurisdiction).amount
        item.save()
        item.co_units.set(co_units)
    else:
        item.save()
    return item


@transaction.atomic
def assign_decisions(*, meeting_id: int, actor: User) -> list[Petition]:
    """Compile the decisions: each assigned item becomes a supervised petition (Uxin 二(四))."""
    meeting = _lock(meeting_id)
    _require_staff(actor, meeting.jurisdiction)
    items = list(
        meeting.items.select_related("topic__enterprise", "topic__petition", "lead_unit")
        .prefetch_related("co_units")
        .order_by("number")
    )
    undecided = [str(i.number) for i in items if i.outcome == Outcome.PENDING]
    if undecided:
        raise WorkflowError(
            _("Record a decision for every item first (items %(numbers)s).")
            % {"numbers": "、".join(undecided)},
            code="undecided",
        )
    _fire(meeting, "assign_decisions", at=timezone.now())
    meeting.save()
    created = []
    for item in (i for i in items if i.outcome == Outcome.ASSIGNED):
        enterprise = item.topic.enterprise
        if enterprise is None:
            raise WorkflowError(
                _("Item %(n)d has no enterprise; record one on its topic first.")
                % {"n": item.number},
                code="no_enterprise",
            )
        petition = petitions_workflow.register(
            actor=actor,
            enterprise=enterprise,
            channel=Channel.MEETING,
            channel_ref=f"M{meeting.pk}-{item.number}",
            type=PetitionType.COORDINATION,
            title=_("%(meeting)s item %(n)d") % {"meeting": meeting.title, "n": item.number},
            content=item.problem,
            request=item.decision,
            theme_id=getattr(item.topic.petition, "theme_id", None) or _default_theme_id(),
            # The meeting's level decided: its case, even for a firm of a district below.
            jurisdiction=meeting.jurisdiction,
        )
        petitions_workflow.accept(petition_id=petition.pk, actor=actor, note=item.decision)
        petition = petitions_workflow.assign_by_decision(
            petition_id=petition.pk,
            actor=actor,
            unit=item.lead_unit,
            co_units=list(item.co_units.all()),
            note=item.decision,
        )
        item.petition = petition
        item.assigned_at = timezone.now()
        item.save(update_fields=["petition", "assigned_at"])
        created.append(petition)
    return created


def _default_theme_id() -> int:
    theme = Theme.objects.filter(code="other").first() or Theme.objects.first()
    if theme is None:
        raise WorkflowError(_("Create at least one theme first."), code="no_theme")
    return theme.pk


@transaction.atomic
def close(*, meeting_id: int, actor: User) -> Meeting:
    meeting = _lock(meeting_id)
    _require_staff(actor, meeting.jurisdiction)
    _fire(meeting, "close", at=timezone.now())
    meeting.save()
    return meeting


@transaction.atomic
def evaluate(
    *,
    meeting_id: int,
    actor: User,
    rating: str,
    person_in_charge: str,
    phone: str,
    suggestions: str = "",
) -> MeetingEvaluation:
    """总体评价表: a firm that was invited rates the meeting once it has been held (Uxin 附件3)."""
    meeting = _lock(meeting_id)
    enterprise_id = actor.enterprise_id
    if (
        not actor.has_role(Role.ENTERPRISE)
        or enterprise_id is None
        or not meeting.firms.filter(pk=enterprise_id).exists()
    ):
        raise PermissionDenied(_("Only an invited enterprise may evaluate this meeting."))
    if meeting.state not in ("held", "assigned", "closed"):
        raise WorkflowError(_("The meeting has not been held yet."), code="not_held")
    if rating not in OverallRating.values:
        raise WorkflowError(_("Choose an overall evaluation."), code="rating_required")
    if MeetingEvaluation.objects.filter(meeting=meeting, enterprise_id=enterprise_id).exists():
        raise WorkflowError(
            _("Your enterprise has already evaluated this meeting."), code="duplicate"
        )
    return MeetingEvaluation.objects.create(
        meeting=meeting,
        enterprise_id=enterprise_id,
        person_in_charge=kit.required(person_in_charge, _("Name the person in charge.")),
        phone=kit.required(phone, _("A phone number is required.")),
        rating=rating,
        suggestions=suggestions.strip(),
        submitted_by=actor,
    )
