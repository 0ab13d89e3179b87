"""Meetings from planning to close, the agenda rules and the catalogue (docs/rules.md §6; Heyuan 四; Shantou 四)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from meetings import agenda, workflow
from meetings.models import (
    AgendaRule,
    Meeting,
    MeetingKind,
    MeetingState,
    Outcome,
    TopicSource,
    TopicStatus,
)
from petitions import workflow as pw
from petitions.exceptions import WorkflowError
from petitions.models import Channel, Deadline, Petition, PetitionType, Rating, State, Step
from tests.factories import EnterpriseFactory
from tests.petitions import flow

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=10):
    return datetime(y, m, d, h, tzinfo=SH)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(at(2026, 11, 23), tick=False)


def plan(world, day=date(2026, 12, 10), kind=MeetingKind.FACE_TO_FACE, firms=()):
    return workflow.plan(
        actor=world.staff,
        jurisdiction=world.city,
        kind=kind,
        title="2026年第四季度政企面对面交流活动",
        date=day,
        chair=world.leader,
        leaders=[world.leader],
        departments=[world.dept, world.other_dept],
        firms=firms or [world.firm],
    )


def verified_topic(world, meeting):
    topic = workflow.add_topic(
        meeting_id=meeting.pk, actor=world.staff, problem="园区道路未通", enterprise=world.firm
    )
    return workflow.verify_topic(
        topic_id=topic.pk,
        actor=world.staff,
        keep=True,
        note="市住建局确认年内可通车",
        opinion="由市工信局牵头，会同市自然资源局限期解决",
        lead_unit=world.dept,
        co_units=[world.other_dept],
    )


@pytest.mark.usefixtures("frozen")
class TestLifecycle:
    def test_the_catalogue_is_due_four_working_days_before_the_meeting(self, world):
        meeting = plan(world)  # Thu 10 Dec 2026
        assert meeting.catalogue_due_on == date(2026, 12, 4)
        assert meeting.state == MeetingState.PLANNING

    def test_a_meeting_goes_from_planning_to_closed_and_its_decisions_become_supervised_petitions(
        self, world
    ):
        meeting = plan(world)
        verified_topic(world, meeting)
        settled = verified_topic(world, meeting)
        meeting = workflow.draft_catalogue(meeting_id=meeting.pk, actor=world.staff)
        items = list(meeting.items.order_by("number"))
        assert [i.number for i in items] == [1, 2]
        assert items[0].limit_days == 15  # several departments
        meeting, late = workflow.submit_catalogue(meeting_id=meeting.pk, actor=world.staff)
        assert not late
        workflow.review_catalogue(
            meeting_id=meeting.pk, actor=world.leader, note="副秘书长召集部门会商，意见一致"
        )
        workflow.approve_catalogue(meeting_id=meeting.pk, actor=world.leader)
        workflow.issue_notice(meeting_id=meeting.pk, actor=world.staff)
        with time_machine.travel(at(2026, 12, 10), tick=False):
            meeting = workflow.hold(meeting_id=meeting.pk, actor=world.staff)
            assert set(meeting.items.values_list("assign_due_on", flat=True)) == {
                date(2026, 12, 11)
            }
            with pytest.raises(WorkflowError) as exc:
                workflow.assign_decisions(meeting_id=meeting.pk, actor=world.staff)
            assert exc.value.code == "undecided"
            workflow.record_decision(
                item_id=items[0].pk,
                actor=world.staff,
                decision="市工信局牵头，12月底前打通道路",
                outcome=Outcome.ASSIGNED,
                co_units=[world.other_dept],
            )
            workflow.record_decision(
                item_id=settled.item.pk,
                actor=world.staff,
                decision="现场答复",
                outcome=Outcome.SETTLED,
            )
            [petition] = workflow.assign_decisions(meeting_id=meeting.pk, actor=world.staff)
        assert petition.state == State.ASSIGNED
        assert petition.channel == Channel.MEETING
        assert petition.lead_unit == world.dept
        assert petition.transfer_letter_issued_at is not None  # in the ledger of assigned items
        reply = Deadline.objects.get(petition=petition, step=Step.REPLY)
        assert reply.due_on == date(2026, 12, 25)  # 15 days
        meeting = workflow.close(meeting_id=meeting.pk, actor=world.staff)
        assert meeting.state == MeetingState.CLOSED

    def test_a_late_submission_is_allowed_and_flagged(self, world):
        meeting = plan(world, day=date(2026, 11, 26))
        verified_topic(world, meeting)
        workflow.draft_catalogue(meeting_id=meeting.pk, actor=world.staff)
        meeting, late = workflow.submit_catalogue(meeting_id=meeting.pk, actor=world.staff)
        assert late
        assert meeting.submitted_late()

    def test_an_empty_catalogue_is_refused(self, world):
        meeting = plan(world)
        with pytest.raises(WorkflowError):
            workflow.draft_catalogue(meeting_id=meeting.pk, actor=world.staff)

    def test_only_the_chair_approves_and_only_leaders_review(self, world):
        from tests.factories import member

        deputy = member(world.leaders_unit, "leader", username="deputy")
        meeting = plan(world)
        verified_topic(world, meeting)
        workflow.draft_catalogue(meeting_id=meeting.pk, actor=world.staff)
        workflow.submit_catalogue(meeting_id=meeting.pk, actor=world.staff)
        with pytest.raises(PermissionDenied):
            workflow.review_catalogue(meeting_id=meeting.pk, actor=world.staff, note="x")
        workflow.review_catalogue(meeting_id=meeting.pk, actor=deputy, note="同意")
        with pytest.raises(PermissionDenied):
            workflow.approve_catalogue(meeting_id=meeting.pk, actor=deputy)
        meeting = workflow.send_back_catalogue(
            meeting_id=meeting.pk, actor=world.leader, note="补充意见"
        )
        assert meeting.state == MeetingState.DRAFTED

    def test_illegal_moves_are_refused(self, world):
        meeting = plan(world)
        for action in (
            workflow.issue_notice,
            workflow.hold,
            workflow.close,
            workflow.submit_catalogue,
        ):
            with pytest.raises(WorkflowError):
                action(meeting_id=meeting.pk, actor=world.staff)
        assert meeting.__class__.objects.get(pk=meeting.pk).state == MeetingState.PLANNING

    def test_planning_refuses_bad_input(self, world):
        with pytest.raises(WorkflowError):
            workflow.plan(
                actor=world.staff,
                jurisdiction=world.city,
                kind=MeetingKind.TALKS,
                title="x",
                date=date(2026, 1, 1),
                chair=world.leader,
            )
        with pytest.raises(WorkflowError):
            workflow.plan(
                actor=world.staff,
                jurisdiction=world.city,
                kind=MeetingKind.TALKS,
                title="x",
                date=date(2026, 12, 1),
                chair=world.handler,
            )
        with pytest.raises(PermissionDenied):
            workflow.plan(
                actor=world.handler,
                jurisdiction=world.city,
                kind=MeetingKind.TALKS,
                title="x",
                date=date(2026, 12, 1),
                chair=world.leader,
            )

    def test_talks_with_fewer_than_ten_firms_are_flagged(self, world):
        meeting = plan(world, kind=MeetingKind.TALKS)
        assert meeting.too_few_firms
        meeting.firms.set(EnterpriseFactory.create_batch(10, jurisdiction=world.city))
        assert not meeting.too_few_firms


@pytest.mark.usefixtures("frozen")
class TestTopics:
    def test_a_firm_submits_a_topic_for_the_next_meeting(self, world):
        meeting = plan(world)
        topic = workflow.submit_topic_by_firm(
            actor=world.firm_user,
            person_in_charge="张总",
            phone="13800138000",
            problem="融资难",
            suggestion="设立贷款",
        )
        assert (topic.source, topic.meeting, topic.enterprise) == (
            TopicSource.FIRM,
            meeting,
            world.firm,
        )

    def test_an_unverified_firm_or_an_official_cannot_submit_a_topic(self, world):
        world.firm.is_verified = False
        world.firm.save()
        with pytest.raises(WorkflowError):
            workflow.submit_topic_by_firm(
                actor=world.firm_user, person_in_charge="张", phone="1", problem="x"
            )
        with pytest.raises(PermissionDenied):
            workflow.submit_topic_by_firm(
                actor=world.staff, person_in_charge="张", phone="1", problem="x"
            )

    def test_a_dropped_topic_stays_off_the_catalogue(self, world):
        meeting = plan(world)
        verified_topic(world, meeting)
        dropped = workflow.add_topic(meeting_id=meeting.pk, actor=world.staff, problem="已解决")
        workflow.verify_topic(topic_id=dropped.pk, actor=world.staff, keep=False, note="部门已解决")
        meeting = workflow.draft_catalogue(meeting_id=meeting.pk, actor=world.staff)
        assert meeting.items.count() == 1
        dropped.refresh_from_db()
        assert dropped.status == TopicStatus.DROPPED

    def test_verification_needs_a_note_an_opinion_and_a_lead(self, world):
        meeting = plan(world)
        topic = workflow.add_topic(meeting_id=meeting.pk, actor=world.staff, problem="x")
        with pytest.raises(WorkflowError):
            workflow.verify_topic(
                topic_id=topic.pk, actor=world.staff, keep=True, note="", opinion="y"
            )
        with pytest.raises(WorkflowError):
            workflow.verify_topic(
                topic_id=topic.pk, actor=world.staff, keep=True, note="n", opinion=""
            )
        with pytest.raises(WorkflowError):
            workflow.verify_topic(
                topic_id=topic.pk, actor=world.staff, keep=True, note="n", opinion="y"
            )

    def test_reopening_the_catalogue_keeps_the_verified_topics(self, world):
        meeting = plan(world)
        verified_topic(world, meeting)
        workflow.draft_catalogue(meeting_id=meeting.pk, actor=world.staff)
        meeting = workflow.reopen_catalogue(meeting_id=meeting.pk, actor=world.staff)
        assert meeting.items.count() == 0
        assert meeting.topics.get().status == TopicStatus.VERIFIED


class TestAgendaRules:
    def test_the_rules_propose_what_matches_and_say_why(self, world):
        with time_machine.travel(at(2026, 11, 2), tick=False):
            late = flow.in_progress(world)  # reply due 5 Nov
            multi = flow.in_progress(world, co_units=[world.other_dept, world.district])
            unsatisfied = flow.replied(world)
            pw.evaluate(
                petition_id=unsatisfied.pk,
                actor=world.firm_user,
                rating=Rating.UNSATISFIED,
                comment="未解决",
            )
            suggestion = flow.accepted(world, type=PetitionType.SUGGESTION)
            Petition.objects.filter(pk=suggestion.pk).update(demand_class="common")
            ordinary = flow.accepted(world, type=PetitionType.SUGGESTION)
            satisfied = flow.concluded(world)
            opted_out = flow.in_progress(world)
            Petition.objects.filter(pk=opted_out.pk).update(meeting_opt_out=True)
        with time_machine.travel(at(2026, 11, 23), tick=False):
            meeting = plan(world)
            found = {p.petition.pk: p.rule for p in agenda.proposals(meeting, date(2026, 11, 23))}
        assert found[late.pk] == AgendaRule.UNRESOLVED
        assert found[unsatisfied.pk] == AgendaRule.UNRESOLVED
        assert found[multi.pk] in (AgendaRule.UNRESOLVED, AgendaRule.MULTI_DEPARTMENT)
        assert found[suggestion.pk] == AgendaRule.TYPICAL_SUGGESTION
        for excluded in (ordinary, satisfied, opted_out):
            assert excluded.pk not in found

    def test_a_normal_petition_in_progress_is_not_proposed(self, world):
        with time_machine.travel(at(2026, 11, 23), tick=False):
            normal = flow.in_progress(world)
            meeting = plan(world)
            assert normal.pk not in {
                p.petition.pk for p in agenda.proposals(meeting, date(2026, 11, 23))
            }

    def test_a_taken_petition_is_not_proposed_again(self, world):
        with time_machine.travel(at(2026, 11, 2), tick=False):
            late = flow.in_progress(world)
        with time_machine.travel(at(2026, 11, 23), tick=False):
            meeting = plan(world)
            topic = workflow.take_petition(
                meeting_id=meeting.pk,
                actor=world.staff,
                petition_id=late.pk,
                rule=AgendaRule.UNRESOLVED,
            )
            assert topic.rule == AgendaRule.UNRESOLVED
            assert late.number in topic.remarks
            assert late.pk not in {
                p.petition.pk for p in agenda.proposals(meeting, date(2026, 11, 23))
            }
            with pytest.raises(WorkflowError):
                workflow.take_petition(
                    meeting_id=meeting.pk,
                    actor=world.staff,
                    petition_id=late.pk,
                    rule=AgendaRule.UNRESOLVED,
                )


@pytest.mark.usefixtures("frozen")
def test_an_invited_firm_evaluates_a_held_meeting_once(world):
    meeting = plan(world)
    verified_topic(world, meeting)
    workflow.draft_catalogue(meeting_id=meeting.pk, actor=world.staff)
    with pytest.raises(WorkflowError):
        workflow.evaluate(
            meeting_id=meeting.pk,
            actor=world.firm_user,
            rating="satisfied",
            person_in_charge="张",
            phone="1",
        )
    workflow.submit_catalogue(meeting_id=meeting.pk, actor=world.staff)
    workflow.approve_catalogue(meeting_id=meeting.pk, actor=world.leader)
    workflow.issue_notice(meeting_id=meeting.pk, actor=world.staff)
    workflow.hold(meeting_id=meeting.pk, actor=world.staff)
    evaluation = workflow.evaluate(
        meeting_id=meeting.pk,
        actor=world.firm_user,
        rating="satisfied",
        person_in_charge="张总",
        phone="13800138000",
    )
    assert evaluation.enterprise == world.firm
    with pytest.raises(WorkflowError):
        workflow.evaluate(
            meeting_id=meeting.pk,
            actor=world.colleague,
            rating="satisfied",
            person_in_charge="李",
            phone="1",
        )
    with pytest.raises(PermissionDenied):
        workflow.evaluate(
            meeting_id=meeting.pk,
            actor=world.other_firm_user,
            rating="satisfied",
            person_in_charge="王",
            phone="1",
        )


def test_issuing_the_notice_invites_each_firm_once(world, django_capture_on_commit_callbacks):
    from django.core import mail

    from notices.models import Delivery
    from petitions.models import Notification

    meeting = plan(world)
    meeting.firms.add(world.firm)
    Meeting.objects.filter(pk=meeting.pk).update(state=MeetingState.APPROVED)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.issue_notice(meeting_id=meeting.pk, actor=world.staff)
    invited = Notification.objects.filter(kind="firm.meeting_invitation")
    assert {n.user for n in invited} == {world.firm_user, world.colleague}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        {world.firm.email, world.firm_user.email, world.colleague.email}
    )
    assert Delivery.objects.filter(kind="firm.meeting_invitation", channel="sms").exists()
    assert not Delivery.objects.filter(enterprise=world.other_firm).exists()
