"""Reads for the task force's workbench, the leaders' approval queue and the printed documents.

Each function takes the queryset of petitions the user may see (`Petition.objects.visible_to`),
built once per request, so that the jurisdiction lookup is not repeated for every list.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from petitions import routing
from petitions.access import jurisdiction_ids_under
from petitions.issuer import issuing_body
from petitions.models import (
    JURISDICTION_KINDS,
    OPEN_STATES,
    Deadline,
    Enterprise,
    Extension,
    ExtensionStatus,
    OrgUnit,
    Petition,
    PetitionEvent,
    PetitionQuerySet,
    PetitionReturn,
    Reply,
    ReplyKind,
    ReturnDecision,
    Role,
    RoutingRule,
    State,
    Step,
    User,
)

# The intake queue: new petitions, returns awaiting review, accepted ones awaiting a proposal.
INTAKE_STATES = (State.REGISTERED, State.RETURNED, State.ACCEPTED)
# Confirmed by the unit: the letter is owed, or a leader's approval first.
LETTER_STATES = (State.CONFIRMED, State.AWAITING_APPROVAL)
LIST_RELATED = ("enterprise", "theme", "proposed_unit", "lead_unit")


def pending_returns() -> Prefetch:
    return Prefetch(
        "returns",
        queryset=PetitionReturn.objects.filter(decision=ReturnDecision.PENDING).select_related(
            "unit", "suggested_unit"
        ),
        to_attr="pending_returns",
    )


def intake_queue(visible: PetitionQuerySet, state: str = "") -> PetitionQuerySet:
    """Oldest first: whoever waited longest is triaged first."""
    queryset = visible.filter(state__in=INTAKE_STATES)
    if state in INTAKE_STATES:
        queryset = queryset.filter(state=state)
    return (
        queryset.select_related(*LIST_RELATED)
        .prefetch_related(pending_returns())
        .order_by("received_at", "pk")
    )


def letters_queue(visible: PetitionQuerySet) -> PetitionQuerySet:
    return (
        visible.filter(state__in=LETTER_STATES)
        .select_related(*LIST_RELATED, "approval_leader")
        .order_by("due_on", "received_at", "pk")
    )


def revisit_queue(visible: PetitionQuerySet) -> PetitionQuerySet:
    return (
        visible.filter(state=State.REPLIED)
        .select_related(*LIST_RELATED)
        .order_by("due_on", "replied_at", "pk")
    )


def approval_queue(visible: PetitionQuerySet, user: User) -> PetitionQuerySet:
    """A leader sees what was submitted to them; the task force sees everything pending."""
    queryset = visible.filter(state=State.AWAITING_APPROVAL)
    if user.role == Role.LEADER:
        queryset = queryset.filter(approval_leader=user)
    return queryset.select_related(*LIST_RELATED, "approval_leader").order_by("updated_at", "pk")


def pending_extensions(visible: PetitionQuerySet) -> QuerySet[Extension]:
    open_reply = Prefetch(
        "petition__deadlines",
        queryset=Deadline.objects.filter(step=Step.REPLY, closed_at__isnull=True),
        to_attr="open_reply",
    )
    return (
        Extension.objects.filter(status=ExtensionStatus.PENDING, petition__in=visible)
        .select_related("petition__enterprise", "petition__lead_unit", "unit", "requested_by")
        .prefetch_related(open_reply)
        .order_by("created_at", "pk")
    )


def counts(visible: PetitionQuerySet, today: date) -> dict[str, int]:
    """Every number on the start page, in one query."""
    by_state = {
        state: Count("pk", filter=Q(state=state))
        for state in (
            State.REGISTERED,
            State.RETURNED,
            State.ACCEPTED,
            State.PROPOSED,
            State.CONFIRMED,
            State.AWAITING_APPROVAL,
            State.REPLIED,
        )
    }
    return visible.aggregate(
        **{str(k): v for k, v in by_state.items()},
        handling=Count("pk", filter=Q(state__in=(State.ASSIGNED, State.IN_PROGRESS))),
        overdue=Count("pk", filter=Q(state__in=OPEN_STATES, due_on__lt=today)),
    )


# --- choices for the forms ------------------------------------------------------------------------


def enterprises_for(user: User) -> QuerySet[Enterprise]:
    if not user.unit_id:
        return Enterprise.objects.none()
    return Enterprise.objects.filter(jurisdiction_id__in=jurisdiction_ids_under(user.unit))


def units_under(jurisdiction: OrgUnit) -> list[OrgUnit]:
    """Active units that may lead or co-handle a petition of this jurisdiction, tree order."""
    found: list[OrgUnit] = []
    frontier = [jurisdiction.pk]
    while frontier:
        level = list(
            OrgUnit.objects.filter(parent_id__in=frontier, is_active=True)
            .select_related("parent")
            .order_by("name")
        )
        found.extend(level)
        frontier = [u.pk for u in level]
    handling = set(OrgUnit.objects.handling_units().values_list("pk", flat=True))
    return [u for u in found if u.pk in handling]


def handling_units_queryset(jurisdiction: OrgUnit) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(pk__in=[u.pk for u in units_under(jurisdiction)]).select_related(
        "parent"
    )


def _jurisdiction_of(unit: OrgUnit) -> OrgUnit | None:
    while unit is not None and unit.kind not in JURISDICTION_KINDS:
        unit = unit.parent
    return unit


def leaders_for(petition: Petition) -> QuerySet[User]:
    """Leaders whose jurisdiction covers the petition's (a city's leaders cover its districts)."""
    chain = {petition.jurisdiction_id, *(u.pk for u in petition.jurisdiction.ancestors())}
    leaders = User.objects.filter(
        role=Role.LEADER, is_active=True, unit__isnull=False
    ).select_related("unit__parent__parent")
    ids = [u.pk for u in leaders if (j := _jurisdiction_of(u.unit)) is not None and j.pk in chain]
    return User.objects.filter(pk__in=ids).select_related("unit").order_by("last_name", "username")


def routing_proposal(petition: Petition) -> RoutingRule | None:
    """The routing catalogue's default lead (and co-handlers) for the theme here (docs/rules.md §10)."""
    return routing.proposal(petition)


# --- one petition ---------------------------------------------------------------------------------


def petition_detail_queryset(visible: PetitionQuerySet) -> PetitionQuerySet:
    return visible.select_related(
        "enterprise",
        "theme",
        "jurisdiction",
        "proposed_unit",
        "lead_unit",
        "approval_leader__unit",
        "duplicate_of",
        "submitted_by",
    ).prefetch_related("co_units")


def records(petition: Petition) -> dict[str, list]:
    """Everything recorded on a petition, each kind in one query, for its page and its dossier."""
    return {
        "deadlines": list(petition.deadlines.order_by("created_at", "pk")),
        "returns": list(
            petition.returns.select_related(
                "unit", "returned_by", "suggested_unit", "decided_by"
            ).order_by("created_at", "pk")
        ),
        "extensions": list(
            petition.extensions.select_related("unit", "requested_by", "decided_by").order_by(
                "created_at", "pk"
            )
        ),
        "contacts": list(
            petition.contacts.select_related("unit", "recorded_by").order_by("contacted_at", "pk")
        ),
        "progress": list(
            petition.progress_reports.select_related("unit", "author").order_by("created_at", "pk")
        ),
        "replies": list(
            petition.replies.select_related("unit", "author").order_by("created_at", "pk")
        ),
        "evaluations": list(
            petition.evaluations.select_related("recorded_by").order_by("created_at", "pk")
        ),
        "attachments": list(
            petition.attachments.select_related("unit").order_by("created_at", "pk")
        ),
        "events": list(petition.events.select_related("actor__unit").order_by("created_at", "pk")),
    }


def split_replies(replies: list[Reply]) -> tuple[list[Reply], list[Reply]]:
    """(replies to the firm, co-handlers' opinions)."""
    return (
        [r for r in replies if r.kind == ReplyKind.REPLY],
        [r for r in replies if r.kind == ReplyKind.OPINION],
    )


def letter_deadlines(petition: Petition, rows: list[Deadline] | None = None) -> dict[str, Deadline]:
    """The contact and reply limits the transfer letter set: the first of each opened at issue."""
    issued = petition.transfer_letter_issued_at
    if issued is None:
        return {}
    if rows is None:
        rows = list(
            petition.deadlines.filter(step__in=(Step.CONTACT, Step.REPLY)).order_by(
                "created_at", "pk"
            )
        )
    first: dict[str, Deadline] = {}
    for row in rows:
        if row.step in (Step.CONTACT, Step.REPLY) and row.created_at >= issued:
            first.setdefault(row.step, row)
    return first


def issuer(petition: Petition, events: list[PetitionEvent] | None = None) -> User | None:
    """The task-force member who issued the transfer letter: the letter's contact person."""
    if events is None:
        event = (
            petition.events.filter(action="issue_transfer_letter")
            .select_related("actor__unit")
            .order_by("-created_at", "-pk")
            .first()
        )
        return event.actor if event else None
    issued = [e for e in events if e.action == "issue_transfer_letter"]
    return issued[-1].actor if issued else None


def transfer_letter(petition: Petition) -> dict:
    """《转办函》: number, firm and contact, content and request, units, limits, task-force contact."""
    signer = issuer(petition)
    return {
        "petition": petition,
        "co_units": list(petition.co_units.all()),
        "limits": letter_deadlines(petition),
        "issuer": signer,
        "issuing_body": issuing_body(petition, signer),
        "approval": approval_record(petition),
    }


def approval_record(petition: Petition) -> PetitionEvent | None:
    """The leader's decision (approve), if there was one: who, when, the instruction."""
    if not petition.needs_leader_approval:
        return None
    return (
        petition.events.filter(action="approve")
        .select_related("actor__unit")
        .order_by("-created_at", "-pk")
        .first()
    )


def dossier(petition: Petition) -> dict:
    """The archive file of one petition (Shantou 三(七); docs/rules.md §4.12)."""
    data = records(petition)
    replies, opinions = split_replies(data.pop("replies"))
    events = data["events"]
    approvals = [e for e in events if e.action in ("submit_for_approval", "approve", "send_back")]
    for event in events:
        # A leader's decision returns the petition to "confirmed": the step says it all.
        moved = event.to_state and event.to_state != event.from_state
        shown = moved and event.action not in ("approve", "send_back")
        event.to_state_label = State(event.to_state).label if shown else ""
    deadline_rows = data["deadlines"]
    signer = issuer(petition, events)
    return {
        **data,
        "petition": petition,
        "co_units": list(petition.co_units.all()),
        "replies": replies,
        "opinions": opinions,
        "approvals": approvals,
        "limits": letter_deadlines(petition, deadline_rows),
        "issuer": signer,
        "issuing_body": issuing_body(petition, signer),
        "printed_at": timezone.now(),
    }


APPROVAL_STEPS = ("submit_for_approval", "reassign_approval", "approve", "send_back")


def approval_form(petition: Petition) -> dict:
    """呈批表 as printed (Shantou 三(二)): the proposed handling, who submitted it to which leader and
    why, and the leader's instruction; issued by the same body as the letter and the dossier."""
    events = list(
        petition.events.filter(action__in=(*APPROVAL_STEPS, "issue_transfer_letter"))
        .select_related("actor__unit")
        .order_by("created_at", "pk")
    )
    signer = issuer(petition, events)
    steps = [e for e in events if e.action in APPROVAL_STEPS]
    # The form is the latest submission; an earlier round that was sent back is in `steps`.
    last = max((i for i, e in enumerate(steps) if e.action == "submit_for_approval"), default=-1)
    decided = [e for e in steps[last + 1 :] if e.action in ("approve", "send_back")]
    shown = (last >= 0) + bool(decided)
    return {
        "petition": petition,
        "co_units": list(petition.co_units.all()),
        "submission": steps[last] if last >= 0 else None,
        "decision": decided[-1] if decided else None,
        # The whole history only when there is more than the form shows (a reassignment, a round
        # sent back).
        "steps": steps if len(steps) > shown else [],
        "issuer": signer,
        "issuing_body": issuing_body(petition, signer),
        "printed_at": timezone.now(),
    }
