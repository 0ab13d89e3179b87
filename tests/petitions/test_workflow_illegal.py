"""Every move the lifecycle does not allow is refused with a clear error and changes nothing (docs/rules.md §4)."""

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from petitions import workflow
from petitions.exceptions import WorkflowError
from petitions.models import Petition, PetitionEvent, Rating, RejectReason, ReturnReason, State
from tests.petitions import flow


def _withdrawn(world, **kw):
    p = flow.registered(world)
    return workflow.withdraw(petition_id=p.pk, actor=world.firm_user)


def _rejected(world, **kw):
    p = flow.registered(world)
    return workflow.reject(
        petition_id=p.pk, actor=world.staff, reason=RejectReason.UNCLEAR, explanation="不清楚"
    )


def _duplicate(world, original, **kw):
    p = flow.registered(world)
    return workflow.mark_duplicate(petition_id=p.pk, actor=world.staff, original_id=original.pk)


def _archived(world, **kw):
    p = flow.concluded(world, **kw)
    return workflow.archive(petition_id=p.pk, actor=world.staff)


BUILDERS = {
    State.REGISTERED: lambda w, o: flow.registered(w),
    State.WITHDRAWN: lambda w, o: _withdrawn(w),
    State.REJECTED: lambda w, o: _rejected(w),
    State.DUPLICATE: lambda w, o: _duplicate(w, o),
    State.ACCEPTED: lambda w, o: flow.accepted(w),
    State.PROPOSED: lambda w, o: flow.proposed(w, co_units=[w.other_dept]),
    State.RETURNED: lambda w, o: flow.returned(w, co_units=[w.other_dept]),
    State.CONFIRMED: lambda w, o: flow.confirmed(w, co_units=[w.other_dept]),
    State.AWAITING_APPROVAL: lambda w, o: flow.awaiting_approval(w, co_units=[w.other_dept]),
    State.ASSIGNED: lambda w, o: flow.assigned(w, co_units=[w.other_dept]),
    State.IN_PROGRESS: lambda w, o: flow.in_progress(w, co_units=[w.other_dept]),
    State.REPLIED: lambda w, o: flow.replied(w, co_units=[w.other_dept]),
    State.CONCLUDED: lambda w, o: flow.concluded(w, co_units=[w.other_dept]),
    State.ARCHIVED: lambda w, o: _archived(w, co_units=[w.other_dept]),
}

# action name → (states where it is allowed, call with the actor entitled to it in the right state)
ACTIONS = {
    "withdraw": (
        {State.REGISTERED},
        lambda w, p, o: workflow.withdraw(petition_id=p.pk, actor=w.firm_user),
    ),
    "accept": (
        {State.REGISTERED},
        lambda w, p, o: workflow.accept(petition_id=p.pk, actor=w.staff),
    ),
    "reject": (
        {State.REGISTERED},
        lambda w, p, o: workflow.reject(
            petition_id=p.pk, actor=w.staff, reason=RejectReason.UNCLEAR, explanation="x"
        ),
    ),
    "mark_duplicate": (
        {State.REGISTERED},
        lambda w, p, o: workflow.mark_duplicate(petition_id=p.pk, actor=w.staff, original_id=o.pk),
    ),
    "propose": (
        {State.ACCEPTED},
        lambda w, p, o: workflow.propose(petition_id=p.pk, actor=w.staff, unit=w.dept),
    ),
    "assign_by_decision": (
        {State.ACCEPTED},
        lambda w, p, o: workflow.assign_by_decision(petition_id=p.pk, actor=w.staff, unit=w.dept),
    ),
    "confirm": (
        {State.PROPOSED},
        lambda w, p, o: workflow.confirm(petition_id=p.pk, actor=w.handler),
    ),
    "return": (
        {State.PROPOSED},
        lambda w, p, o: workflow.return_petition(
            petition_id=p.pk, actor=w.handler, reason_code=ReturnReason.OTHER, reason="x"
        ),
    ),
    "uphold_return": (
        {State.RETURNED},
        lambda w, p, o: workflow.review_return(
            petition_id=p.pk, actor=w.staff, uphold=True, unit=w.district
        ),
    ),
    "overrule_return": (
        {State.RETURNED},
        lambda w, p, o: workflow.review_return(petition_id=p.pk, actor=w.staff, uphold=False),
    ),
    "submit_for_approval": (
        {State.CONFIRMED},
        lambda w, p, o: workflow.submit_for_approval(
            petition_id=p.pk, actor=w.staff, leader=w.leader
        ),
    ),
    "approve": (
        {State.AWAITING_APPROVAL},
        lambda w, p, o: workflow.approve(petition_id=p.pk, actor=w.leader),
    ),
    "send_back": (
        {State.AWAITING_APPROVAL},
        lambda w, p, o: workflow.send_back(petition_id=p.pk, actor=w.leader, instruction="x"),
    ),
    "issue_transfer_letter": (
        {State.CONFIRMED},
        lambda w, p, o: workflow.issue_transfer_letter(petition_id=p.pk, actor=w.staff),
    ),
    "record_contact": (
        {State.ASSIGNED, State.IN_PROGRESS},
        lambda w, p, o: workflow.record_contact(
            petition_id=p.pk,
            actor=w.handler,
            contacted_at=timezone.now(),
            method="phone",
            summary="x",
        ),
    ),
    "report_progress": (
        {State.ASSIGNED, State.IN_PROGRESS},
        lambda w, p, o: workflow.report_progress(petition_id=p.pk, actor=w.handler, text="x"),
    ),
    "request_extension": (
        {State.ASSIGNED, State.IN_PROGRESS},
        lambda w, p, o: workflow.request_extension(
            petition_id=p.pk, actor=w.handler, reason="x", amount=1
        ),
    ),
    "submit_opinion": (
        {State.ASSIGNED, State.IN_PROGRESS},
        lambda w, p, o: workflow.submit_opinion(petition_id=p.pk, actor=w.other_handler, text="x"),
    ),
    "reply": (
        {State.IN_PROGRESS},
        lambda w, p, o: workflow.reply(petition_id=p.pk, actor=w.handler, text="x"),
    ),
    "evaluate": (
        {State.REPLIED},
        lambda w, p, o: workflow.evaluate(
            petition_id=p.pk, actor=w.firm_user, rating=Rating.SATISFIED
        ),
    ),
    "conclude": (
        {State.REPLIED},
        lambda w, p, o: workflow.conclude(petition_id=p.pk, actor=w.staff, note="x"),
    ),
    "archive": (
        {State.CONCLUDED, State.REJECTED, State.DUPLICATE, State.WITHDRAWN},
        lambda w, p, o: workflow.archive(petition_id=p.pk, actor=w.staff),
    ),
}


def snapshot(petition_id: int) -> tuple:
    p = Petition.objects.get(pk=petition_id)
    return (
        p.state,
        p.updated_at,
        p.due_on,
        PetitionEvent.objects.filter(petition_id=petition_id).count(),
        tuple(p.deadlines.order_by("pk").values_list("pk", "due_on", "closed_at")),
        p.extensions.count(),
        p.replies.count(),
        p.contacts.count(),
        p.progress_reports.count(),
    )


def test_the_matrix_covers_every_state():
    assert set(BUILDERS) == set(State.values)


@pytest.mark.django_db
@pytest.mark.parametrize("state", list(State.values))
def test_every_action_not_allowed_in_a_state_is_refused_and_changes_nothing(world, state):
    original = flow.assigned(world)
    petition = BUILDERS[state](world, original)
    assert petition.state == state
    refused = []
    for name, (allowed, call) in ACTIONS.items():
        if state in allowed:
            continue
        before = snapshot(petition.pk)
        with pytest.raises((WorkflowError, PermissionDenied)) as exc:
            call(world, petition, original)
        assert str(exc.value.messages[0] if isinstance(exc.value, WorkflowError) else exc.value), (
            name
        )
        assert snapshot(petition.pk) == before, name
        refused.append(name)
    assert refused


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_people_confirming_at_once_exactly_one_succeeds(world):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    petition = flow.proposed(world)
    colleague = type(world.handler).objects.create(
        username="handler2", role="handler", unit=world.dept
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(actor) -> None:
        try:
            barrier.wait()
            workflow.confirm(petition_id=petition.pk, actor=actor)
            outcomes.append("ok")
        except WorkflowError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(u,)) for u in (world.handler, colleague)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["ok", "refused"]
    assert PetitionEvent.objects.filter(petition=petition, action="confirm").count() == 1
    assert Petition.objects.get(pk=petition.pk).state == State.CONFIRMED


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_registrations_get_distinct_numbers(world):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    flow.registered(world)  # the year's counter row exists
    barrier = threading.Barrier(4)
    numbers: list[str] = []

    def act() -> None:
        try:
            barrier.wait()
            numbers.append(flow.registered(world).number)
        finally:
            connection.close()

    threads = [threading.Thread(target=act) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(numbers) == 4
    assert len(set(numbers)) == 4
