"""Every business action on a petition: one atomic, keyword-only function per verb (docs/conventions.md C1).

Each function checks who may act (petitions/access.py), locks the row, fires one FSM transition,
opens and closes the deadlines the move implies (petitions/deadlines.py), writes one timeline event
and leaves notifications to `transaction.on_commit`. Nothing else changes `Petition.state`.

States and transitions (docs/rules.md §3–§4):

    from               action                  to                  who
    ---------------    --------------------    ----------------    -------------------------
    (new)              register                registered          enterprise, task force
    registered         withdraw                withdrawn           enterprise
    registered         accept                  accepted            task force
    registered         reject                  rejected            task force (reason code)
    registered         mark_duplicate          duplicate           task force
    registered, accepted, returned
                       pass_up / hand_down     registered          task force (reason; another level)
    accepted           propose                 proposed            task force
    proposed           confirm                 confirmed           proposed unit
    proposed           return_petition         returned            proposed unit (reason)
    returned           review_return(uphold)   proposed            task force (new unit)
    returned           review_return(overrule) confirmed           task force
    confirmed          submit_for_approval     awaiting_approval   task force
    awaiting_approval  approve                 confirmed           leader
    awaiting_approval  send_back               confirmed           leader (instruction)
    confirmed          issue_transfer_letter   assigned            task force (approval settled)
    accepted           assign_by_decision      assigned            task force (a meeting decided)
    assigned           record_contact          in_progress         lead unit
    in_progress        reply                   replied             lead unit
    replied            evaluate(satisfied)     concluded           enterprise, task force
    replied            evaluate(unsatisfied)   in_progress         enterprise, task force
    replied            conclude                concluded           task force (note)
    concluded, rejected, duplicate, withdrawn
                       archive                 archived            task force

Without a state change: report_progress, request_extension (≤ 2, reason), decide_extension,
submit_opinion (co-handlers), record_contact again while in progress, reassign_approval (task force,
while awaiting approval: another leader decides instead).

Steps with limits (each an open `Deadline` while the step is owed):
triage (registered/accepted/returned, task force) · confirm (proposed, unit) · issue_letter
(confirmed, task force) · contact and reply (assigned/in progress, lead unit) · revisit (replied, task force).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notices import events as notices
from petitions import access, deadlines, events, levels, limits, merged, routing, workdays
from petitions import workflow_kit as kit
from petitions.exceptions import WorkflowError
from petitions.models import (
    Attachment,
    CalendarYear,
    Channel,
    ContactRecord,
    Deadline,
    Enterprise,
    Evaluation,
    EvaluationSource,
    Extension,
    ExtensionStatus,
    JurisdictionNumber,
    LevelMove,
    LevelTransfer,
    LimitRule,
    OrgUnit,
    Petition,
    PetitionNumber,
    PetitionReturn,
    PetitionType,
    ProgressReport,
    Rating,
    RejectReason,
    Reply,
    ReplyKind,
    ReturnDecision,
    ReturnReason,
    Role,
    State,
    Step,
    User,
)
from petitions.models.records import ContactMethod
from petitions.uploads import MAX_FILES
from petitions.workdays import reporting_thursday
from zqztc import dates

# --- helpers --------------------------------------------------------------------------------


def _lock(petition_id: int) -> Petition:
    return kit.lock(
        Petition,
        petition_id,
        _("This petition does not exist."),
        related=("jurisdiction", "proposed_unit", "lead_unit", "enterprise"),
    )


def _not_now(petition: Petition) -> WorkflowError:
    return kit.not_now(petition, _("This cannot be done while the petition is “%(state)s”."))


def _fire(petition: Petition, name: str, **kwargs: object) -> None:
    """Fire a transition or explain, in the user's language, why it cannot happen now."""
    kit.fire(petition, name, _("This cannot be done while the petition is “%(state)s”."), **kwargs)


def _finish(
    petition: Petition,
    actor: User | None,
    action: str,
    before: str,
    *,
    note: str = "",
    visible_to_firm: bool = False,
) -> Petition:
    deadlines.refresh_due(petition)
    petition.save()
    event = events.record(
        petition, actor, action, before, note=note, visible_to_firm=visible_to_firm
    )
    # In this transaction: the event and the notices it sets off commit together (docs/notices.md).
    notices.on_event(event)
    return petition


def _today() -> date:
    return timezone.localdate()


def _check_handling_unit(petition: Petition, unit: OrgUnit, *, lead: bool = True) -> None:
    """A lead unit is one of the jurisdiction's departments or a government directly below it; a
    co-handler may also be a department one level down (docs/rules.md §1)."""
    allowed = levels.lead_units if lead else levels.co_units
    if not allowed(petition.jurisdiction).filter(pk=unit.pk).exists():
        if not unit.is_active or unit not in OrgUnit.objects.handling_units():
            message = _("%(unit)s cannot handle petitions.")
        elif lead:
            message = _("%(unit)s cannot lead a petition of this jurisdiction.")
        else:
            message = _("%(unit)s cannot co-handle a petition of this jurisdiction.")
        raise WorkflowError(message % {"unit": unit.name}, code="bad_unit")


def next_number(year: int, jurisdiction: OrgUnit | None = None) -> str:
    """ZQ2026-000123, or ZQLH2026-000123 where the jurisdiction has a prefix (docs/rules.md §1): the
    counter row is locked, so concurrent registrations never share a number."""
    prefix = jurisdiction.number_prefix if jurisdiction is not None else ""
    counter: JurisdictionNumber | PetitionNumber
    if prefix:
        JurisdictionNumber.objects.get_or_create(jurisdiction=jurisdiction, year=year)
        counter = JurisdictionNumber.objects.select_for_update().get(
            jurisdiction=jurisdiction, year=year
        )
    else:
        PetitionNumber.objects.get_or_create(year=year)
        counter = PetitionNumber.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"ZQ{prefix}{year}-{counter.last:06d}"


def letter_number(petition: Petition) -> str:
    """The transfer letter's number follows the petition's: one letter per case, so still unique."""
    return f"ZB{petition.number[2:]}"


# --- intake (Shantou 三(一); Shantou 二) -------------------------------------------------------------


@transaction.atomic
def register(
    *,
    actor: User,
    enterprise: Enterprise,
    channel: str,
    type: str,
    title: str,
    content: str,
    request: str = "",
    theme_id: int | None = None,
    received_at: datetime | None = None,
    channel_ref: str = "",
    publication_consent: bool = False,
    jurisdiction: OrgUnit | None = None,
) -> Petition:
    """受理登记: record the source, time received, content and firm; triage is due next.

    The case lands at the firm's own level unless the task force files it at its own level (a meeting
    of the city decides on a district firm's topic: the city's case, docs/rules.md §1)."""
    if actor.has_role(Role.ENTERPRISE):
        if actor.enterprise_id != enterprise.pk:
            raise WorkflowError(
                _("You can only submit petitions for your own enterprise."), code="forbidden"
            )
        if channel != Channel.PORTAL:
            raise WorkflowError(_("Enterprises submit through the web portal."), code="bad_channel")
        received_at = timezone.now()
    elif actor.has_role(Role.TASK_FORCE) and actor.unit_id:
        if enterprise.jurisdiction_id not in access.jurisdiction_ids_under(actor.unit):
            raise WorkflowError(
                _("This enterprise is outside your jurisdiction."), code="forbidden"
            )
    else:
        raise WorkflowError(
            _("Only an enterprise or the task force may register a petition."), code="forbidden"
        )
    if jurisdiction is not None and (
        not actor.has_role(Role.TASK_FORCE)
        or jurisdiction.pk not in levels.acting_ids(actor.unit)
        or enterprise.jurisdiction_id not in access.jurisdiction_ids_under(jurisdiction)
    ):
        raise WorkflowError(_("This petition cannot be filed at that level."), code="forbidden")
    jurisdiction = jurisdiction or enterprise.jurisdiction
    if channel not in Channel.values:
        raise WorkflowError(_("Unknown channel."), code="bad_channel")
    if type not in PetitionType.values:
        raise WorkflowError(_("Unknown petition type."), code="bad_type")
    received_at = received_at or timezone.now()
    if received_at > timezone.now() + timedelta(minutes=5):
        raise WorkflowError(_("The time received cannot be in the future."), code="future")
    # The number's year comes from this time: ZQ0001-… or ZQ1900-… must not be possible.
    if received_at < dates.earliest_moment():
        raise WorkflowError(
            _("The time received cannot be before %(earliest)s.")
            % {"earliest": dates.EARLIEST.isoformat()},
            code="too_early",
        )
    title = kit.required(title, _("A title is required."))
    content = kit.required(content, _("The content is required."))

    def duplicate_ref() -> WorkflowError | None:
        taken = Petition.objects.filter(channel=channel, channel_ref=channel_ref)
        if not channel_ref or not taken.exists():
            return None
        return WorkflowError(
            _("A petition with reference %(ref)s from this channel is already registered.")
            % {"ref": channel_ref},
            code="duplicate_ref",
        )

    if refused := duplicate_ref():
        raise refused
    petition = Petition(
        number=next_number(timezone.localtime(received_at).year, jurisdiction),
        enterprise=enterprise,
        submitted_by=actor,
        channel=channel,
        channel_ref=channel_ref,
        received_at=received_at,
        type=type,
        theme_id=theme_id,
        title=title,
        content=content,
        request=(request or "").strip(),
        publication_consent=publication_consent,
        jurisdiction=jurisdiction,
    )
    try:
        with transaction.atomic():  # a savepoint: the transaction stays usable after a refusal
            petition.save()
    except IntegrityError:
        # Someone registered the same ticket between the check above and this insert: the
        # unique constraint caught it; say so as the check would have.
        refused = duplicate_ref()
        if refused is None:
            raise
        raise refused from None
    deadlines.open_step(
        petition, step=Step.TRIAGE, rule=LimitRule.TRIAGE, start=timezone.localdate(received_at)
    )
    return _finish(petition, actor, "register", "", visible_to_firm=True)


@transaction.atomic
def withdraw(*, petition_id: int, actor: User, note: str = "") -> Petition:
    """The firm withdraws before acceptance; the task force may record a withdrawal made by phone."""
    petition = _lock(petition_id)
    access.require_enterprise_or_task_force(actor, petition)
    if not actor.has_role(Role.ENTERPRISE):
        note = kit.required(note, _("Record how the enterprise asked to withdraw."))
    before = petition.state
    _fire(petition, "withdraw")
    deadlines.close_all(petition, at=timezone.now())
    return _finish(petition, actor, "withdraw", before, note=note.strip(), visible_to_firm=True)


@transaction.atomic
def accept(
    *,
    petition_id: int,
    actor: User,
    type: str | None = None,
    theme_id: int | None = None,
    classification: dict[str, str] | None = None,
    tier: str | None = None,
    note: str = "",
) -> Petition:
    """Accept into scope (Shantou 二), settling type, theme and classification; propose a unit next."""
    petition = _lock(petition_id)
    access.require_task_force(actor, petition)
    if type and type not in PetitionType.values:
        raise WorkflowError(_("Unknown petition type."), code="bad_type")
    classification = classification or {}
    if set(classification) - {"scope_class", "demand_class", "nature_class", "age_class"}:
        raise WorkflowError(_("Unknown classification."), code="bad_class")
    if not (theme_id or petition.theme_id):
        raise WorkflowError(_("Choose a theme before accepting."), code="theme_required")
    before = petition.state
    _fire(petition, "accept", at=timezone.now())
    petition.type = type or petition.type
    petition.theme_id = theme_id or petition.theme_id
    for field, value in classification.items():
        setattr(petition, field, value)
    petition.tier = tier or petition.tier
    return _finish(petition, actor, "accept", before, note=note.strip(), visible_to_firm=True)


@transaction.atomic
def reject(*, petition_id: int, actor: User, reason: str, explanation: str) -> Petition:
    """Not accepted, with one of the ten reason codes and an explanation the firm reads (Shantou 二)."""
    petition = _lock(petition_id)
    access.require_task_force(actor, petition)
    if reason not in RejectReason.values:
        raise WorkflowError(
            _("Choose one of the reasons for not accepting."), code="reason_required"
        )
    explanation = kit.required(explanation, _("Explain to the enterprise why it is not accepted."))
    before = petition.state
    _fire(petition, "reject", reason=reason, explanation=explanation)
    deadlines.close_all(petition, at=timezone.now())
    note = f"{RejectReason(reason).label}：{explanation}"
    return _finish(petition, actor, "reject", before, note=note, visible_to_firm=True)


@transaction.atomic
def mark_duplicate(*, petition_id: int, actor: User, original_id: int, note: str = "") -> Petition:
    """重复件: linked to the original, whose handler receives it as supplementary material (Shantou 二)."""
    petition = _lock(petition_id)
    access.require_task_force(actor, petition)
    if original_id == petition.pk:
        raise WorkflowError(_("A petition cannot duplicate itself."), code="bad_original")
    original = Petition.objects.select_for_update().filter(pk=original_id).first()
    if original is None or original.jurisdiction_id not in access.jurisdiction_ids_under(
        actor.unit
    ):
        raise WorkflowError(_("The original petition was not found."), code="bad_original")
    if original.state in (State.DUPLICATE, State.REJECTED, State.WITHDRAWN, State.REGISTERED):
        raise WorkflowError(
            _("The original must be a petition that was accepted; %(number)s is “%(state)s”.")
            % {"number": original.number, "state": original.get_state_display()},
            code="bad_original",
        )
    before = petition.state
    _fire(petition, "mark_duplicate", original=original)
    deadlines.close_all(petition, at=timezone.now())
    events.record(
        original,
        actor,
        "duplicate_received",
        original.state,
        note=_("%(number)s: %(content)s")
        % {"number": petition.number, "content": petition.content},
    )
    # The firm is told who handles the case; another firm's petition stays unnamed.
    message = merged.describe(petition, original).text
    return _finish(
        petition,
        actor,
        "mark_duplicate",
        before,
        note=f"{message} {note}".strip(),
        visible_to_firm=True,
    )


def _move_level(petition: Petition, actor: User, to: OrgUnit, direction: str, reason: str) -> None:
    """Move a case to another level with its history; that level's task force triages it afresh.

    First-receiver responsibility (docs/rules.md §1): nothing is refused for arriving at the wrong
    level. The triage limit restarts at the new level (and so does the confirm limit once it is
    proposed there); the firm's received date never changes.
    """
    now = timezone.now()
    pending = petition.returns.filter(decision=ReturnDecision.PENDING).last()
    if pending is not None:
        pending.decision = ReturnDecision.PASSED
        pending.decided_by, pending.decided_at = actor, now
        pending.decision_note = reason
        pending.save()
    LevelTransfer.objects.create(
        petition=petition,
        direction=direction,
        from_jurisdiction=petition.jurisdiction,
        to_jurisdiction=to,
        reason=reason,
        actor=actor,
    )
    _fire(petition, "move_level", to=to)
    petition.co_units.clear()
    deadlines.close_step(petition, step=Step.TRIAGE, at=now)
    deadlines.open_step(petition, step=Step.TRIAGE, rule=LimitRule.TRIAGE, start=_today())


def _check_movable(petition: Petition) -> None:
    if petition.state not in (State.REGISTERED, State.ACCEPTED, State.RETURNED):
        raise _not_now(petition)


@transaction.atomic
def pass_up(*, petition_id: int, actor: User, reason: str) -> Petition:
    """A case this level cannot settle goes up to the parent's task force (Heyuan 二(三); Uxin 二(三))."""
    petition = _lock(petition_id)
    access.require_task_force(actor, petition)
    reason = kit.required(reason, _("Explain why the petition goes to the higher level."))
    _check_movable(petition)
    parent = levels.parent_of(petition.jurisdiction)
    if parent is None:
        raise WorkflowError(
            _("There is no higher level to send this petition to."), code="no_parent"
        )
    before = petition.state
    _move_level(petition, actor, parent, LevelMove.UP, reason)
    message = _("Passed up to %(unit)s.") % {"unit": parent.name}
    return _finish(
        petition, actor, "pass_up", before, note=f"{message} {reason}", visible_to_firm=True
    )


@transaction.atomic
def hand_down(*, petition_id: int, actor: User, to: OrgUnit, reason: str) -> Petition:
    """A case that belongs to a district or zone goes down to it, with its history (docs/rules.md §1)."""
    petition = _lock(petition_id)
    access.require_task_force(actor, petition)
    reason = kit.required(reason, _("Explain why the petition goes to that level."))
    _check_movable(petition)
    if not levels.descendants_of(petition.jurisdiction).filter(pk=to.pk).exists():
        raise WorkflowError(
            _("%(unit)s is not a district or zone below this petition's jurisdiction.")
            % {"unit": to.name},
            code="bad_level",
        )
    before = petition.state
    _move_level(petition, actor, to, LevelMove.DOWN, reason)
    message = _("Handed down to %(unit)s.") % {"unit": to.name}
    return _finish(
        petition, actor, "hand_down", before, note=f"{message} {reason}", visible_to_firm=True
    )


# --- assignment (Shantou 三(二)) --------------------------------------------------------------------


def _set_co_units(petition: Petition, unit: OrgUnit, co_units: Iterable[OrgUnit]) -> None:
    co_units = list(co_units)
    for co in co_units:
        _check_handling_unit(petition, co, lead=False)
        if co.pk == unit.pk:
            raise WorkflowError(_("The lead unit cannot also be a co-handler."), code="bad_unit")
    petition.co_units.set(co_units)


def _propose_to(petition: Petition, unit: OrgUnit, co_units: Iterable[OrgUnit]) -> None:
    _check_handling_unit(petition, unit)
    _set_co_units(petition, unit, co_units)
    deadlines.close_step(petition, step=Step.TRIAGE, at=timezone.now())
    # The confirm limit is the unit's own level's: a district's units get the district's (longer) one.
    deadlines.open_step(
        petition,
        step=Step.CONFIRM,
        rule=limits.confirm_rule(unit),
        start=_today(),
        jurisdiction=unit.jurisdiction(),
    )


@transaction.atomic
def propose(
    *,
    petition_id: int,
    actor: User,
    unit: OrgUnit,
    co_units: Iterable[OrgUnit] = (),
    note: str = "",
) -> Petition:
    """Propose the lead unit (and co-handlers); it must confirm within 1 working day (2 for districts)."""
    petition = _lock(petition_id)
    access.require_task_force(actor, petition)
    if petition.state == State.RETURNED:
        raise WorkflowError(_("Review the return first."), code="return_pending")
    before = petition.state
    _fire(petition, "propose", unit=unit)
    _propose_to(petition, unit, co_units)
    routing.record_choice(petition, unit)
    note = (_("Proposed to %(unit)s.") % {"unit": unit.name} + " " + note.strip()).strip()
    return _finish(petition, actor, "propose", before, note=note)


@transaction.atomic
def confirm(*, petition_id: int, actor: User) -> Petition:
    """签收 by the proposed unit; the task force then issues the transfer letter."""
    petition = _lock(petition_id)
    access.require_proposed_unit(actor, petition)
    before = petition.state
    _fire(petition, "confirm", at=timezone.now())
    deadlines.close_step(petition, step=Step.CONFIRM, at=timezone.now())
    deadlines.open_step(
        petition, step=Step.ISSUE_LETTER, rule=LimitRule.ISSUE_LETTER, start=_today()
    )
    return _finish(petition, actor, "confirm", before)


@transaction.atomic
def return_petition(
    *,
    petition_id: int,
    actor: User,
    reason_code: str,
    reason: str,
    suggested_unit: OrgUnit | None = None,
) -> PetitionReturn:
    """退回 with a standard reason; the task force reviews it (docs/rules.md §10)."""
    petition = _lock(petition_id)
    access.require_proposed_unit(actor, petition)
    if reason_code not in ReturnReason.values:
        raise WorkflowError(_("Choose a reason for the return."), code="reason_required")
    reason = kit.required(reason, _("Explain why the petition is returned."))
    # The competent unit may sit at another level of the same city (docs/rules.md §1).
    if suggested_unit is not None and (
        not suggested_unit.is_active
        or suggested_unit not in OrgUnit.objects.handling_units()
        or levels.top_of(suggested_unit) != levels.top_of(petition.jurisdiction)
    ):
        raise WorkflowError(_("Name a unit of this city."), code="bad_unit")
    before = petition.state
    _fire(petition, "return_to_task_force")
    deadlines.close_step(petition, step=Step.CONFIRM, at=timezone.now())
    deadlines.open_step(petition, step=Step.TRIAGE, rule=LimitRule.TRIAGE, start=_today())
    record = PetitionReturn.objects.create(
        petition=petition,
        unit=kit.acting_unit(actor),
        returned_by=actor,
        reason_code=reason_code,
        reason=reason,
        suggested_unit=suggested_unit,
    )
    _finish(petition, actor, "return", before, note=f"{ReturnReason(reason_code).label}：{reason}")
    return record


@transaction.atomic
def review_return(
    *,
    petition_id: int,
    actor: User,
    uphold: bool,
    unit: OrgUnit | None = None,
    co_units: Iterable[OrgUnit] = (),
    note: str = "",
) -> Petition:
    """Uphold the return and reassign to another unit, or overrule it so the unit keeps the case."""
    petition = _lock(petition_id)
    access.require_task_force(actor, petition)
    pending = petition.returns.filter(decision=ReturnDecision.PENDING).select_related("unit").last()
    if petition.state != State.RETURNED or pending is None:
        raise WorkflowError(_("There is no return to review."), code="invalid_transition")
    now = timezone.now()
    before = petition.state
    if uphold:
        if unit is None:
            raise WorkflowError(_("Choose the unit to reassign to."), code="unit_required")
        if unit.pk == pending.unit_id:
            raise WorkflowError(
                _("The return is upheld, so choose a unit other than the one that returned it."),
                code="bad_unit",
            )
        _fire(petition, "propose", unit=unit)
        _propose_to(petition, unit, co_units)
        pending.decision = ReturnDecision.UPHELD
        action = "uphold_return"
        # The firm is told where its case went (Hailar 二(四)2, docs/rules.md §4).
        message = _(
            "%(old)s returned it as outside its remit; it now goes to %(new)s."
            if pending.reason_code == ReturnReason.NOT_OUR_REMIT
            else "Reassigned from %(old)s to %(new)s."
        ) % {"old": pending.unit.name, "new": unit.name}
    else:
        _fire(petition, "overrule_return", at=now)
        deadlines.close_step(petition, step=Step.TRIAGE, at=now)
        deadlines.open_step(
            petition, step=Step.ISSUE_LETTER, rule=LimitRule.ISSUE_LETTER, start=_today()
        )
        pending.decision = ReturnDecision.OVERRULED
        action = "overrule_return"
        message = _("%(unit)s keeps the case.") % {"unit": pending.unit.name}
    pending.decided_by, pending.decided_at, pending.decision_note = actor, now, note.strip()
    pending.save()
    return _finish(
        petition,
        actor,
        action,
        before,
        note=f"{message} {note}".strip(),
        visible_to_firm=uphold,
    )


def _check_leader(petition: Petition, leader: User) -> None:
    """An approval goes to an active leader whose jurisdiction covers the petition's."""
    if not leader.has_role(Role.LEADER) or leader.unit_id is None:
        raise WorkflowError(_("Choose a leader."), code="leader_required")
    if petition.jurisdiction_id not in access.jurisdiction_ids_under(leader.unit):
        raise WorkflowError(
            _("This leader does not cover the petition's jurisdiction."), code="leader_required"
        )


def _finish_for_leader(
    petition: Petition, actor: User, action: str, before: str, *, note: str
) -> Petition:
    """Like _finish, and the leader the approval now waits for gets a notice after commit."""
    deadlines.refresh_due(petition)
    petition.save()
    notices.on_event(events.record(petition, actor, action, before, note=note))
    return petition


def _lock_for_decision(petition_id: int, actor: User) -> Petition:
    """Only the leader the approval was submitted (or reassigned) to decides it; a leader who asks
    about one that is no longer pending hears that first."""
    petition = _lock(petition_id)
    access.require_leader(actor, petition)
    if petition.state != State.AWAITING_APPROVAL:
        raise _not_now(petition)
    access.require_approval_leader(actor, petition)
    return petition


@transaction.atomic
def submit_for_approval(*, petition_id: int, actor: User, leader: User, note: str = "") -> Petition:
    """呈批: a petition that needs a city leader's coordination goes to the leader first (Shantou 三(二))."""
    petition = _lock(petition_id)
    access.require_task_force(actor, petition)
    _check_leader(petition, leader)
    before = petition.state
    _fire(petition, "submit_for_approval", leader=leader)
    # The leader's time is not the task force's: pause its letter deadline until the decision.
    deadlines.close_step(petition, step=Step.ISSUE_LETTER, at=timezone.now())
    return _finish_for_leader(petition, actor, "submit_for_approval", before, note=note.strip())


@transaction.atomic
def reassign_approval(*, petition_id: int, actor: User, leader: User, note: str = "") -> Petition:
    """The task force hands a pending approval to another leader (the first is away, or the wrong
    one was asked); from then on only the new leader decides it."""
    petition = _lock(petition_id)
    access.require_task_force(actor, petition)
    if petition.state != State.AWAITING_APPROVAL:
        raise _not_now(petition)
    _check_leader(petition, leader)
    previous = petition.approval_leader
    # A petition awaiting approval always names its leader (Petition.submit_for_approval).
    assert previous is not None
    if leader.pk == previous.pk:
        raise WorkflowError(
            _("This approval is already with %(leader)s.") % {"leader": _name(leader)},
            code="same_leader",
        )
    petition.approval_leader = leader
    message = _("Approval moved from %(before)s to %(after)s.") % {
        "before": _name(previous),
        "after": _name(leader),
    }
    return _finish_for_leader(
        petition, actor, "reassign_approval", petition.state, note=f"{message} {note}".strip()
    )


def _name(user: User) -> str:
    return user.get_full_name() or user.username


@transaction.atomic
def approve(*, petition_id: int, actor: User, instruction: str = "") -> Petition:
    petition = _lock_for_decision(petition_id, actor)
    before = petition.state
    _fire(petition, "approve", at=timezone.now(), instruction=instruction.strip())
    deadlines.open_step(
        petition, step=Step.ISSUE_LETTER, rule=LimitRule.ISSUE_LETTER, start=_today()
    )
    return _finish(petition, actor, "approve", before, note=instruction.strip())


@transaction.atomic
def send_back(*, petition_id: int, actor: User, instruction: str) -> Petition:
    """The leader sends it back with an instruction; the task force adjusts and resubmits."""
    petition = _lock_for_decision(petition_id, actor)
    instruction = kit.required(instruction, _("Write the instruction for the task force."))
    before = petition.state
    _fire(petition, "send_back", instruction=instruction)
    deadlines.open_step(
        petition, step=Step.ISSUE_LETTER, rule=LimitRule.ISSUE_LETTER, start=_today()
    )
    return _finish(petition, actor, "send_back", before, note=instruction)


@transaction.atomic
def issue_transfer_letter(*, petition_id: int, actor: User, note: str = "") -> Petition:
    """《转办函》: the lead unit contacts the firm within 1 working day and replies within the type's limit."""
    petition = _lock(petition_id)
    access.require_task_force(actor, petition)
    if petition.state == State.CONFIRMED and not petition.approval_settled():
        raise WorkflowError(
            _("A leader must approve this petition first."), code="approval_required"
        )
    before = petition.state
    now = timezone.now()
    _fire(petition, "issue_transfer_letter", letter_no=letter_number(petition), at=now)
    deadlines.close_step(petition, step=Step.ISSUE_LETTER, at=now)
    deadlines.open_step(petition, step=Step.CONTACT, rule=LimitRule.CONTACT, start=_today())
    deadlines.open_step(
        petition, step=Step.REPLY, rule=limits.reply_rule(petition.type), start=_today()
    )
    message = _("Assigned to %(unit)s.") % {"unit": petition.lead_unit}
    return _finish(
        petition,
        actor,
        "issue_transfer_letter",
        before,
        note=f"{message} {note}".strip(),
        visible_to_firm=True,
    )


@transaction.atomic
def assign_by_decision(
    *,
    petition_id: int,
    actor: User,
    unit: OrgUnit,
    co_units: Iterable[OrgUnit] = (),
    note: str = "",
) -> Petition:
    """Assign an accepted petition as a meeting decided: no confirmation or return step; the reply is
    due in 7 days for one unit and 15 days for several (Uxin 二(四))."""
    petition = _lock(petition_id)
    access.require_task_force(actor, petition)
    _check_handling_unit(petition, unit)
    co_units = list(co_units)
    before = petition.state
    now = timezone.now()
    _fire(petition, "assign_by_decision", unit=unit, letter_no=letter_number(petition), at=now)
    _set_co_units(petition, unit, co_units)
    deadlines.close_step(petition, step=Step.TRIAGE, at=now)
    deadlines.open_step(petition, step=Step.CONTACT, rule=LimitRule.CONTACT, start=_today())
    rule = LimitRule.MEETING_REPLY_MULTI if co_units else LimitRule.MEETING_REPLY_SINGLE
    deadlines.open_step(petition, step=Step.REPLY, rule=rule, start=_today())
    message = _("Assigned to %(unit)s by a meeting decision.") % {"unit": unit.name}
    return _finish(
        petition,
        actor,
        "assign_by_decision",
        before,
        note=f"{message} {note}".strip(),
        visible_to_firm=True,
    )


# --- handling (Shantou 三(三)–(四); Uxin 二(四)) ------------------------------------------------------


@transaction.atomic
def record_contact(
    *, petition_id: int, actor: User, contacted_at: datetime, method: str, summary: str
) -> ContactRecord:
    """The lead unit contacts the firm and learns the details; handling starts."""
    petition = _lock(petition_id)
    access.require_lead_unit(actor, petition)
    if method not in ContactMethod.values:
        raise WorkflowError(_("Choose how the enterprise was contacted."), code="method_required")
    if contacted_at > timezone.now() + timedelta(minutes=5):
        raise WorkflowError(_("The contact time cannot be in the future."), code="future")
    summary = kit.required(summary, _("Summarise the contact."))
    before = petition.state
    if petition.state == State.ASSIGNED:
        _fire(petition, "record_contact", at=contacted_at)
        deadlines.close_step(petition, step=Step.CONTACT, at=contacted_at)
    elif petition.state != State.IN_PROGRESS:
        raise _not_now(petition)
    record = ContactRecord.objects.create(
        petition=petition,
        unit=kit.acting_unit(actor),
        contacted_at=contacted_at,
        method=method,
        summary=summary,
        recorded_by=actor,
    )
    _finish(petition, actor, "record_contact", before, note=summary, visible_to_firm=True)
    return record


def _require_handling(petition: Petition) -> None:
    if petition.state not in (State.ASSIGNED, State.IN_PROGRESS):
        raise _not_now(petition)


@transaction.atomic
def report_progress(*, petition_id: int, actor: User, text: str) -> ProgressReport:
    """Weekly progress while unresolved, due every Thursday (Shantou 三(四))."""
    petition = _lock(petition_id)
    access.require_lead_unit(actor, petition)
    _require_handling(petition)
    text = kit.required(text, _("Describe the progress."))
    report = ProgressReport.objects.create(
        petition=petition,
        unit=kit.acting_unit(actor),
        author=actor,
        text=text,
        week_thursday=reporting_thursday(_today()),
    )
    _finish(petition, actor, "report_progress", petition.state, note=text, visible_to_firm=True)
    return report


@transaction.atomic
def request_extension(*, petition_id: int, actor: User, reason: str, amount: int) -> Extension:
    """延期: a stated reason, at most twice per petition (Uxin 二(四)); the task force decides."""
    petition = _lock(petition_id)
    access.require_lead_unit(actor, petition)
    _require_handling(petition)
    reason = kit.required(reason, _("An extension needs a reason."))
    if not 1 <= amount <= 60:
        raise WorkflowError(_("Ask for between 1 and 60 more days."), code="bad_amount")
    if petition.extensions.filter(status=ExtensionStatus.PENDING).exists():
        raise WorkflowError(
            _("An extension request is already waiting for a decision."), code="pending"
        )
    allowed = limits.max_extensions(petition.jurisdiction)
    used = petition.extensions.filter(status=ExtensionStatus.APPROVED).count()
    if used >= allowed:
        raise WorkflowError(
            _("This petition has already been extended %(n)d times, the most allowed.")
            % {"n": used},
            code="too_many",
        )
    extension = Extension.objects.create(
        petition=petition,
        unit=kit.acting_unit(actor),
        requested_by=actor,
        reason=reason,
        amount=amount,
    )
    _finish(petition, actor, "request_extension", petition.state, note=reason)
    return extension


@transaction.atomic
def decide_extension(*, extension_id: int, actor: User, approve: bool, note: str = "") -> Extension:
    extension = Extension.objects.select_for_update().filter(pk=extension_id).first()
    if extension is None:
        raise WorkflowError(_("This extension request does not exist."), code="missing")
    petition = _lock(extension.petition_id)
    access.require_task_force(actor, petition)
    if extension.status != ExtensionStatus.PENDING:
        raise WorkflowError(_("This extension request has already been decided."), code="decided")
    now = timezone.now()
    extension.decided_by, extension.decided_at, extension.decision_note = actor, now, note.strip()
    if approve:
        reply = deadlines.open_deadline(petition, Step.REPLY)
        if reply is None:
            raise WorkflowError(_("There is no open reply deadline to extend."), code="no_deadline")
        extension.due_before, extension.due_after = deadlines.extend(reply, extension.amount)
        extension.status = ExtensionStatus.APPROVED
        petition.extension_count += 1
        action = "approve_extension"
        message = _("Reply now due on %(date)s. Reason: %(reason)s") % {
            "date": f"{extension.due_after:%Y-%m-%d}",
            "reason": extension.reason,
        }
    else:
        extension.status = ExtensionStatus.DENIED
        action = "deny_extension"
        message = note.strip()
    extension.save()
    _finish(petition, actor, action, petition.state, note=message, visible_to_firm=approve)
    return extension


@transaction.atomic
def submit_opinion(*, petition_id: int, actor: User, text: str) -> Reply:
    """A co-handler's opinion goes to the lead unit, which consolidates (Uxin 附件2 注1)."""
    petition = _lock(petition_id)
    access.require_co_unit(actor, petition)
    _require_handling(petition)
    text = kit.required(text, _("Write the opinion."))
    opinion = Reply.objects.create(
        petition=petition,
        unit=kit.acting_unit(actor),
        author=actor,
        kind=ReplyKind.OPINION,
        text=text,
    )
    _finish(petition, actor, "submit_opinion", petition.state, note=text)
    return opinion


@transaction.atomic
def reply(*, petition_id: int, actor: User, text: str) -> Reply:
    """办理结果 to the firm and the task force; the revisit is due next (Shantou 一(二))."""
    petition = _lock(petition_id)
    access.require_lead_unit(actor, petition)
    text = kit.required(text, _("Write the reply to the enterprise."))
    before = petition.state
    now = timezone.now()
    _fire(petition, "reply", at=now)
    answer = Reply.objects.create(
        petition=petition,
        unit=kit.acting_unit(actor),
        author=actor,
        kind=ReplyKind.REPLY,
        text=text,
    )
    deadlines.close_step(petition, step=Step.REPLY, at=now)
    deadlines.open_step(petition, step=Step.REVISIT, rule=LimitRule.REVISIT, start=_today())
    _finish(petition, actor, "reply", before, note=text, visible_to_firm=True)
    return answer


# --- evaluation and close (Shantou 三(六)–(七)) -----------------------------------------------------


@transaction.atomic
def evaluate(
    *, petition_id: int, actor: User, rating: str, comment: str = "", method: str = ""
) -> Evaluation:
    """满意/基本满意 concludes; 不满意 sends the petition back for re-handling (Shantou 四(一)1)."""
    petition = _lock(petition_id)
    access.require_enterprise_or_task_force(actor, petition)
    if rating not in Rating.values:
        raise WorkflowError(_("Choose a rating."), code="rating_required")
    by_firm = actor.has_role(Role.ENTERPRISE)
    if not by_firm and method not in ContactMethod.values:
        raise WorkflowError(_("Record how the revisit was made."), code="method_required")
    if rating == Rating.UNSATISFIED and not (comment or "").strip():
        raise WorkflowError(_("Tell us what is still unresolved."), code="comment_required")
    before = petition.state
    now = timezone.now()
    if rating == Rating.UNSATISFIED:
        _fire(petition, "rehandle")
        deadlines.close_step(petition, step=Step.REVISIT, at=now)
        deadlines.open_step(
            petition, step=Step.REPLY, rule=limits.reply_rule(petition.type), start=_today()
        )
        action = "rehandle"
    else:
        _fire(petition, "conclude", at=now)
        deadlines.close_all(petition, at=now)
        action = "conclude"
    evaluation = Evaluation.objects.create(
        petition=petition,
        rating=rating,
        comment=(comment or "").strip(),
        source=EvaluationSource.FIRM if by_firm else EvaluationSource.REVISIT,
        method="" if by_firm else method,
        recorded_by=actor,
    )
    note = f"{Rating(rating).label}" + (f"：{evaluation.comment}" if evaluation.comment else "")
    _finish(petition, actor, action, before, note=note, visible_to_firm=True)
    return evaluation


@transaction.atomic
def conclude(*, petition_id: int, actor: User, note: str) -> Petition:
    """The task force concludes a replied petition without a rating, e.g. the firm cannot be reached."""
    petition = _lock(petition_id)
    access.require_task_force(actor, petition)
    note = kit.required(note, _("Explain why the petition is concluded without an evaluation."))
    before = petition.state
    now = timezone.now()
    _fire(petition, "conclude", at=now)
    deadlines.close_all(petition, at=now)
    return _finish(petition, actor, "conclude", before, note=note, visible_to_firm=True)


@transaction.atomic
def archive(*, petition_id: int, actor: User) -> Petition:
    """资料归档: every finished case is kept with its whole record (Shantou 三(七))."""
    petition = _lock(petition_id)
    access.require_task_force(actor, petition)
    before = petition.state
    now = timezone.now()
    _fire(petition, "archive", at=now)
    deadlines.close_all(petition, at=now)
    return _finish(petition, actor, "archive", before)


# --- calendar (docs/rules.md §5) ---------------------------------------------------------------------------


@transaction.atomic
def confirm_calendar_year(*, year: int, actor: User, source: str = "") -> int:
    """Staff confirm a year's official schedule; open deadlines computed on the estimate are recomputed.

    Returns how many deadlines moved; each move is recorded on its petition's timeline.
    """
    if not (actor.is_superuser or actor.has_role(Role.TASK_FORCE)):
        raise WorkflowError(_("Only the task force may confirm a calendar year."), code="forbidden")
    if CalendarYear.objects.filter(year=year).exists():
        raise WorkflowError(_("%(year)d is already confirmed.") % {"year": year}, code="confirmed")
    CalendarYear.objects.create(
        year=year, confirmed_at=timezone.now(), confirmed_by=actor, source=source.strip()
    )
    moved = 0
    estimated = (
        Deadline.objects.select_for_update()
        .filter(closed_at__isnull=True, estimated=True)
        .select_related("petition")
        .order_by("petition_id", "pk")
    )
    for deadline in estimated:
        if not (deadline.start_on.year <= year <= deadline.due_on.year + 1):
            continue
        before, after = deadlines.recompute(deadline)
        if before == after:
            continue
        moved += 1
        petition = _lock(deadline.petition_id)
        note = _("%(step)s due date moved from %(before)s to %(after)s.") % {
            "step": deadline.get_step_display(),
            "before": f"{before:%Y-%m-%d}",
            "after": f"{after:%Y-%m-%d}",
        }
        _finish(petition, actor, "recompute_deadline", petition.state, note=note)
    return moved


def working_days_left(due_on: date, on: date | None = None) -> int:
    """Working days from `on` (default today) to `due_on`; negative when overdue."""
    return workdays.working_days_between(on or _today(), due_on)


# --- documents ------------------------------------------------------------------------------------


def _may_attach(actor: User, petition: Petition) -> tuple[bool, bool]:
    """(allowed, visible to the firm) for an upload by this actor."""
    if actor.has_role(Role.ENTERPRISE):
        return actor.enterprise_id == petition.enterprise_id, True
    if actor.has_role(Role.HANDLER) and actor.unit_id in (
        petition.lead_unit_id,
        *petition.co_units.values_list("pk", flat=True),
    ):
        return True, False
    if actor.has_role(Role.TASK_FORCE):
        return petition.jurisdiction_id in access.jurisdiction_ids_under(actor.unit), False
    return False, False


@transaction.atomic
def add_material(
    *,
    petition_id: int,
    actor: User,
    files: list,
    note: str = "",
    visible_to_firm: bool | None = None,
) -> list:
    """Supplementary material from the firm, or documents from a unit or the task force.

    `files` are uploads already checked by petitions.uploads.validate_uploads: (file, content type).
    Firm uploads count against the per-petition limit and are refused once the case is finished.
    """
    petition = _lock(petition_id)
    allowed, default_visible = _may_attach(actor, petition)
    if not allowed:
        raise PermissionDenied(_("You may not add documents to this petition."))
    if petition.state in (State.ARCHIVED, State.WITHDRAWN, State.REJECTED, State.DUPLICATE):
        raise _not_now(petition)
    if not files and not note.strip():
        raise WorkflowError(_("Add a file or a note."), code="required")
    by_firm = actor.has_role(Role.ENTERPRISE)
    if by_firm and petition.attachments.filter(unit__isnull=True).count() + len(files) > MAX_FILES:
        raise WorkflowError(
            _("At most %(n)d attachments per petition.") % {"n": MAX_FILES}, code="too_many"
        )
    visible = default_visible if visible_to_firm is None else visible_to_firm
    saved = [
        Attachment.objects.create(
            petition=petition,
            file=upload,
            original_name=upload.name[:200],
            content_type=content_type,
            size=upload.size,
            uploaded_by=actor,
            unit=None if by_firm else actor.unit,
            visible_to_firm=visible,
        )
        for upload, content_type in files
    ]
    names = "、".join(a.original_name for a in saved)
    text = "\n".join(t for t in (note.strip(), names) if t)
    _finish(petition, actor, "attach", petition.state, note=text, visible_to_firm=visible)
    return saved
