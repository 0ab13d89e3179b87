"""Each refusal of meetings/workflow.py leaves everything as it was: the meeting's state, its topics and
items, and no petition registered (docs/conventions.md C1, C9)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied

from meetings import workflow
from meetings.models import (
    AgendaRule,
    CatalogueItem,
    Meeting,
    MeetingEvaluation,
    MeetingKind,
    MeetingState,
    Outcome,
    Topic,
    TopicStatus,
)
from petitions.exceptions import WorkflowError
from petitions.models import Petition, PetitionEvent, Theme
from tests.factories import EnterpriseFactory, PetitionFactory
from tests.petitions import flow

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(datetime(2026, 11, 23, 10, tzinfo=SH), tick=False)


def plan(world) -> Meeting:
    return workflow.plan(
        actor=world.staff,
        jurisdiction=world.city,
        kind=MeetingKind.FACE_TO_FACE,
        title="2026年第四季度政企面对面交流活动",
        date=date(2026, 12, 10),
        chair=world.leader,
        leaders=[world.leader],
        departments=[world.dept, world.other_dept],
        firms=[world.firm],
    )


def verified_topic(world, meeting: Meeting, enterprise=None) -> Topic:
    topic = workflow.add_topic(
        meeting_id=meeting.pk, actor=world.staff, problem="园区道路未通", enterprise=enterprise
    )
    return workflow.verify_topic(
        topic_id=topic.pk,
        actor=world.staff,
        keep=True,
        note="市住建局确认年内可通车",
        opinion="由市工信局牵头限期解决",
        lead_unit=world.dept,
    )


def drafted(world, enterprise="firm") -> Meeting:
    meeting = plan(world)
    verified_topic(world, meeting, world.firm if enterprise == "firm" else enterprise)
    return workflow.draft_catalogue(meeting_id=meeting.pk, actor=world.staff)


def held(world, enterprise="firm") -> Meeting:
    meeting = drafted(world, enterprise)
    workflow.submit_catalogue(meeting_id=meeting.pk, actor=world.staff)
    workflow.approve_catalogue(meeting_id=meeting.pk, actor=world.leader)
    workflow.issue_notice(meeting_id=meeting.pk, actor=world.staff)
    return workflow.hold(meeting_id=meeting.pk, actor=world.staff)


def snapshot(meeting: Meeting) -> tuple:
    """What a refusal must leave alone: the meeting's state, its topics, its items, the petitions."""
    meeting = Meeting.objects.get(pk=meeting.pk)
    return (
        meeting.state,
        sorted(Topic.objects.values_list("pk", "meeting_id", "status", "verification_note")),
        sorted(CatalogueItem.objects.values_list("pk", "outcome", "decision", "petition_id")),
        Petition.objects.count(),
        PetitionEvent.objects.count(),
        MeetingEvaluation.objects.count(),
    )


def refused(meeting: Meeting, code: str, call) -> None:
    before = snapshot(meeting)
    with pytest.raises(WorkflowError) as exc:
        call()
    assert exc.value.code == code
    assert snapshot(meeting) == before


# --- planning -------------------------------------------------------------------------------------


def test_a_meeting_cannot_be_planned_for_a_department(world):
    # The task force's own jurisdictions never include a department, so the permission check
    # refuses first.
    with pytest.raises(PermissionDenied):
        workflow.plan(
            actor=world.staff,
            jurisdiction=world.dept,
            kind=MeetingKind.TALKS,
            title="x",
            date=date(2026, 12, 10),
            chair=world.leader,
        )
    assert not Meeting.objects.exists()


# --- topics ---------------------------------------------------------------------------------------


def test_no_topic_is_added_once_the_catalogue_is_drafted(world):
    meeting = drafted(world)
    refused(
        meeting,
        "closed",
        lambda: workflow.add_topic(meeting_id=meeting.pk, actor=world.staff, problem="新问题"),
    )


def test_a_topic_of_another_jurisdiction_cannot_be_taken(world):
    meeting = plan(world)
    foreign = Topic.objects.create(
        jurisdiction=world.other_city, problem="外地问题", submitted_by=world.foreign_staff
    )
    refused(
        meeting,
        "missing",
        lambda: workflow.take_topic(meeting_id=meeting.pk, actor=world.staff, topic_id=foreign.pk),
    )
    foreign.refresh_from_db()
    assert foreign.meeting_id is None


def test_a_pooled_topic_is_taken_onto_a_meeting_being_planned(world):
    """The path the refusals around it guard."""
    meeting = plan(world)
    pooled = Topic.objects.create(
        jurisdiction=world.city, problem="融资难", submitted_by=world.firm_user
    )
    workflow.take_topic(meeting_id=meeting.pk, actor=world.staff, topic_id=pooled.pk)
    pooled.refresh_from_db()
    assert pooled.meeting_id == meeting.pk


def test_a_dropped_topic_cannot_be_taken(world):
    meeting = plan(world)
    topic = workflow.add_topic(meeting_id=meeting.pk, actor=world.staff, problem="已解决")
    workflow.verify_topic(topic_id=topic.pk, actor=world.staff, keep=False, note="部门已解决")
    other = plan(world)
    refused(
        other,
        "closed",
        lambda: workflow.take_topic(meeting_id=other.pk, actor=world.staff, topic_id=topic.pk),
    )
    topic.refresh_from_db()
    assert topic.meeting_id == meeting.pk


def test_a_pooled_topic_cannot_be_taken_once_the_catalogue_is_drafted(world):
    meeting = drafted(world)
    pooled = Topic.objects.create(
        jurisdiction=world.city, problem="融资难", submitted_by=world.firm_user
    )
    refused(
        meeting,
        "closed",
        lambda: workflow.take_topic(meeting_id=meeting.pk, actor=world.staff, topic_id=pooled.pk),
    )
    pooled.refresh_from_db()
    assert pooled.meeting_id is None


def test_no_petition_is_taken_once_the_catalogue_is_drafted(world):
    meeting = drafted(world)
    petition = flow.in_progress(world)
    refused(
        meeting,
        "closed",
        lambda: workflow.take_petition(
            meeting_id=meeting.pk,
            actor=world.staff,
            petition_id=petition.pk,
            rule=AgendaRule.UNRESOLVED,
        ),
    )


def test_a_petition_of_another_jurisdiction_cannot_be_taken(world):
    meeting = plan(world)
    foreign = PetitionFactory(enterprise=EnterpriseFactory(jurisdiction=world.other_city))
    refused(
        meeting,
        "missing",
        lambda: workflow.take_petition(
            meeting_id=meeting.pk,
            actor=world.staff,
            petition_id=foreign.pk,
            rule=AgendaRule.UNRESOLVED,
        ),
    )


def test_a_petition_is_taken_only_under_a_known_agenda_rule(world):
    meeting = plan(world)
    petition = flow.in_progress(world)
    refused(
        meeting,
        "bad_rule",
        lambda: workflow.take_petition(
            meeting_id=meeting.pk, actor=world.staff, petition_id=petition.pk, rule="whim"
        ),
    )


def test_a_petition_whose_firm_opted_out_is_not_raised_at_a_meeting(world):
    meeting = plan(world)
    petition = flow.in_progress(world)
    Petition.objects.filter(pk=petition.pk).update(meeting_opt_out=True)
    refused(
        meeting,
        "opt_out",
        lambda: workflow.take_petition(
            meeting_id=meeting.pk,
            actor=world.staff,
            petition_id=petition.pk,
            rule=AgendaRule.UNRESOLVED,
        ),
    )


def test_verifying_a_topic_that_does_not_exist_is_refused(world):
    meeting = plan(world)
    refused(
        meeting,
        "missing",
        lambda: workflow.verify_topic(
            topic_id=987654, actor=world.staff, keep=False, note="部门已解决"
        ),
    )


def test_a_topic_in_the_pool_cannot_be_verified(world):
    meeting = plan(world)
    pooled = Topic.objects.create(
        jurisdiction=world.city, problem="融资难", submitted_by=world.firm_user
    )
    refused(
        meeting,
        "closed",
        lambda: workflow.verify_topic(
            topic_id=pooled.pk, actor=world.staff, keep=False, note="部门已解决"
        ),
    )


def test_a_catalogued_topic_cannot_be_verified_again(world):
    meeting = drafted(world)
    topic = meeting.topics.get()
    assert topic.status == TopicStatus.CATALOGUED
    refused(
        meeting,
        "closed",
        lambda: workflow.verify_topic(
            topic_id=topic.pk, actor=world.staff, keep=False, note="改为不上会"
        ),
    )


# --- decisions ------------------------------------------------------------------------------------


def test_a_decision_on_an_item_that_does_not_exist_is_refused(world):
    meeting = held(world)
    refused(
        meeting,
        "missing",
        lambda: workflow.record_decision(
            item_id=987654, actor=world.staff, decision="现场答复", outcome=Outcome.SETTLED
        ),
    )


def test_no_decision_is_recorded_before_the_meeting_is_held(world):
    meeting = drafted(world)
    item = meeting.items.get()
    refused(
        meeting,
        "closed",
        lambda: workflow.record_decision(
            item_id=item.pk, actor=world.staff, decision="现场答复", outcome=Outcome.SETTLED
        ),
    )


def test_no_decision_is_changed_once_the_item_is_assigned(world):
    meeting = held(world)
    item = meeting.items.get()
    workflow.record_decision(
        item_id=item.pk, actor=world.staff, decision="市工信局牵头", outcome=Outcome.ASSIGNED
    )
    workflow.assign_decisions(meeting_id=meeting.pk, actor=world.staff)
    refused(
        meeting,
        "closed",
        lambda: workflow.record_decision(
            item_id=item.pk, actor=world.staff, decision="改为现场答复", outcome=Outcome.SETTLED
        ),
    )


def test_a_decision_must_be_settled_or_assigned(world):
    meeting = held(world)
    item = meeting.items.get()
    for outcome in (Outcome.PENDING, "postponed"):
        refused(
            meeting,
            "bad_outcome",
            lambda outcome=outcome: workflow.record_decision(
                item_id=item.pk, actor=world.staff, decision="再议", outcome=outcome
            ),
        )


def test_an_assigned_item_without_a_firm_stops_the_assignment_whole(world):
    meeting = held(world, enterprise=None)
    item = meeting.items.get()
    workflow.record_decision(
        item_id=item.pk, actor=world.staff, decision="市工信局牵头", outcome=Outcome.ASSIGNED
    )
    refused(
        meeting,
        "no_enterprise",
        lambda: workflow.assign_decisions(meeting_id=meeting.pk, actor=world.staff),
    )
    assert Meeting.objects.get(pk=meeting.pk).state == MeetingState.HELD


def test_assignment_without_any_theme_is_refused_whole(world):
    meeting = held(world)
    item = meeting.items.get()
    workflow.record_decision(
        item_id=item.pk, actor=world.staff, decision="市工信局牵头", outcome=Outcome.ASSIGNED
    )
    Theme.objects.all().delete()
    refused(
        meeting,
        "no_theme",
        lambda: workflow.assign_decisions(meeting_id=meeting.pk, actor=world.staff),
    )
    assert Meeting.objects.get(pk=meeting.pk).state == MeetingState.HELD


# --- evaluation -----------------------------------------------------------------------------------


def test_an_evaluation_needs_one_of_the_overall_ratings(world):
    meeting = held(world)
    for rating in ("", "excellent"):
        refused(
            meeting,
            "rating_required",
            lambda rating=rating: workflow.evaluate(
                meeting_id=meeting.pk,
                actor=world.firm_user,
                rating=rating,
                person_in_charge="张总",
                phone="13800138000",
            ),
        )
