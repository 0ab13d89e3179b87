"""The petition lifecycle, action by action (docs/rules.md §3–§4; petitions/workflow.py)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from petitions import workflow
from petitions.exceptions import WorkflowError
from petitions.models import (
    Channel,
    Deadline,
    Evaluation,
    Extension,
    ExtensionStatus,
    LimitRule,
    LimitUnit,
    Petition,
    PetitionEvent,
    PetitionReturn,
    PetitionType,
    Rating,
    RejectReason,
    ReplyKind,
    ReturnDecision,
    ReturnReason,
    State,
    Step,
    TimeLimitPolicy,
)
from tests.petitions import flow

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=SH)


def open_due(petition: Petition) -> dict[str, date]:
    return {
        d.step: d.due_on for d in Deadline.objects.filter(petition=petition, closed_at__isnull=True)
    }


def last_event(petition: Petition):
    return petition.events.order_by("-pk").first()


pytestmark = pytest.mark.django_db


class TestRegister:
    def test_a_firm_registers_through_the_portal_and_triage_is_due_next_working_day(self, world):
        with time_machine.travel(at(2026, 9, 30), tick=False):
            petition = flow.registered(world)
        assert petition.state == State.REGISTERED
        assert petition.number.startswith("ZQ2026-")
        assert petition.jurisdiction == world.city
        assert open_due(petition) == {Step.TRIAGE: date(2026, 10, 8)}
        assert petition.due_on == date(2026, 10, 8)
        event = last_event(petition)
        assert (event.action, event.from_state, event.to_state, event.actor) == (
            "register",
            "",
            State.REGISTERED,
            world.firm_user,
        )
        assert event.visible_to_firm

    def test_numbers_are_readable_sequential_and_unique_per_year(self, world):
        first = flow.registered(world)
        second = flow.registered(world)
        year = timezone.localdate().year
        assert first.number == f"ZQ{year}-000001"
        assert second.number == f"ZQ{year}-000002"

    def test_the_task_force_registers_a_hotline_ticket_with_the_time_it_was_received(self, world):
        received = at(2026, 3, 2, 9)
        petition = workflow.register(
            actor=world.staff,
            enterprise=world.firm,
            channel=Channel.HOTLINE_12345,
            channel_ref="12345-0001",
            type=PetitionType.CONSULTATION,
            title="咨询政策",
            content="咨询技改补贴申报条件。",
            received_at=received,
        )
        assert petition.received_at == received
        assert petition.number == "ZQ2026-000001"
        assert petition.submitted_by == world.staff

    def test_the_same_hotline_ticket_cannot_be_registered_twice(self, world):
        kwargs = {
            "actor": world.staff,
            "enterprise": world.firm,
            "channel": Channel.HOTLINE_12345,
            "channel_ref": "12345-0002",
            "type": PetitionType.CONSULTATION,
            "title": "咨询",
            "content": "内容",
        }
        workflow.register(**kwargs)
        with pytest.raises(WorkflowError) as exc:
            workflow.register(**kwargs)
        assert exc.value.code == "duplicate_ref"
        assert Petition.objects.count() == 1

    def test_a_firm_cannot_register_for_another_firm(self, world):
        with pytest.raises(WorkflowError):
            workflow.register(
                actor=world.other_firm_user,
                enterprise=world.firm,
                channel=Channel.PORTAL,
                type=PetitionType.SUGGESTION,
                title="t",
                content="c",
            )
        assert not Petition.objects.exists()

    def test_a_firm_can_only_use_the_portal_channel(self, world):
        with pytest.raises(WorkflowError) as exc:
            workflow.register(
                actor=world.firm_user,
                enterprise=world.firm,
                channel=Channel.HOTLINE_12345,
                type=PetitionType.SUGGESTION,
                title="t",
                content="c",
            )
        assert exc.value.code == "bad_channel"

    @pytest.mark.parametrize(
        ("field", "value", "code"),
        [
            ("title", "  ", "required"),
            ("content", "", "required"),
            ("type", "gossip", "bad_type"),
            ("channel", "carrier_pigeon", "bad_channel"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_is_written(self, world, field, value, code):
        kwargs = {
            "actor": world.staff,
            "enterprise": world.firm,
            "channel": Channel.VISIT,
            "type": PetitionType.SUGGESTION,
            "title": "标题",
            "content": "内容",
        }
        kwargs[field] = value
        with pytest.raises(WorkflowError) as exc:
            workflow.register(**kwargs)
        assert exc.value.code == code
        assert not Petition.objects.exists()
        assert not Deadline.objects.exists()

    def test_a_received_time_in_the_future_is_refused(self, world):
        with pytest.raises(WorkflowError) as exc:
            workflow.register(
                actor=world.staff,
                enterprise=world.firm,
                channel=Channel.VISIT,
                type=PetitionType.SUGGESTION,
                title="t",
                content="c",
                received_at=timezone.now() + timezone.timedelta(days=1),
            )
        assert exc.value.code == "future"

    def test_staff_of_another_city_cannot_register_for_this_citys_firm(self, world):
        with pytest.raises(WorkflowError) as exc:
            workflow.register(
                actor=world.foreign_staff,
                enterprise=world.firm,
                channel=Channel.VISIT,
                type=PetitionType.SUGGESTION,
                title="t",
                content="c",
            )
        assert exc.value.code == "forbidden"

    def test_a_handler_cannot_register(self, world):
        with pytest.raises(WorkflowError):
            workflow.register(
                actor=world.handler,
                enterprise=world.firm,
                channel=Channel.VISIT,
                type=PetitionType.SUGGESTION,
                title="t",
                content="c",
            )


class TestNotices:
    def test_a_visible_event_mails_the_firm_only_after_commit(
        self, world, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            flow.registered(world)
        assert mail.outbox == []
        assert len(callbacks) == 1
        callbacks[0]()
        # One mail per address: each account's own and the firm's registered one.
        assert sorted(m.to[0] for m in mail.outbox) == sorted(
            {world.firm.email, world.firm_user.email, world.colleague.email}
        )
        assert all(len(m.to) == 1 and "ZQ" in m.subject for m in mail.outbox)

    def test_each_account_gets_one_portal_notice_and_a_rerun_sends_nothing_more(
        self, world, django_capture_on_commit_callbacks
    ):
        from notices import events as notices
        from notices import sender
        from petitions.models import Notification

        with django_capture_on_commit_callbacks(execute=True):
            petition = flow.registered(world)
        event = petition.events.get(action="register")
        assert set(Notification.objects.values_list("user__username", flat=True)) == {
            "firm",
            "colleague",
        }
        sent = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            notices.on_event(event)  # as if the event were processed a second time
        assert sender.deliver_due() == {}
        assert Notification.objects.count() == 2
        assert len(mail.outbox) == sent

    def test_an_internal_event_tells_the_unit_not_the_firm(
        self, world, django_capture_on_commit_callbacks
    ):
        petition = flow.accepted(world)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            workflow.propose(petition_id=petition.pk, actor=world.staff, unit=world.dept)
        assert [m.to for m in mail.outbox] == [[world.handler.email]]

    def test_a_rollback_sends_nothing(self, world, django_capture_on_commit_callbacks):
        petition = flow.registered(world)
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(WorkflowError),
        ):
            workflow.reject(
                petition_id=petition.pk,
                actor=world.staff,
                reason=RejectReason.UNCLEAR,
                explanation="",
            )
        assert callbacks == []


class TestTriage:
    def test_accept_settles_type_theme_and_classification(self, world):
        petition = flow.registered(world)
        petition = workflow.accept(
            petition_id=petition.pk,
            actor=world.staff,
            type=PetitionType.COORDINATION,
            classification={"scope_class": "departmental", "age_class": "new"},
            tier="complex",
        )
        assert petition.state == State.ACCEPTED
        assert (petition.type, petition.scope_class, petition.age_class, petition.tier) == (
            PetitionType.COORDINATION,
            "departmental",
            "new",
            "complex",
        )
        # Triage runs until a unit is proposed.
        assert Step.TRIAGE in open_due(petition)

    def test_accept_needs_a_theme(self, world):
        petition = flow.registered(world)
        Petition.objects.filter(pk=petition.pk).update(theme=None)
        with pytest.raises(WorkflowError) as exc:
            workflow.accept(petition_id=petition.pk, actor=world.staff)
        assert exc.value.code == "theme_required"
        assert Petition.objects.get(pk=petition.pk).state == State.REGISTERED

    def test_reject_needs_one_of_the_ten_reasons_and_an_explanation(self, world):
        petition = flow.registered(world)
        with pytest.raises(WorkflowError):
            workflow.reject(
                petition_id=petition.pk, actor=world.staff, reason="bored", explanation="x"
            )
        with pytest.raises(WorkflowError):
            workflow.reject(
                petition_id=petition.pk,
                actor=world.staff,
                reason=RejectReason.MILITARY,
                explanation=" ",
            )
        assert Petition.objects.get(pk=petition.pk).state == State.REGISTERED
        assert len(RejectReason.values) == 10

    def test_reject_closes_every_deadline_and_tells_the_firm_why(self, world):
        petition = flow.registered(world)
        petition = workflow.reject(
            petition_id=petition.pk,
            actor=world.staff,
            reason=RejectReason.OTHER_PROCEDURE,
            explanation="该事项已进入行政复议程序。",
        )
        assert petition.state == State.REJECTED
        assert petition.reject_reason == RejectReason.OTHER_PROCEDURE
        assert open_due(petition) == {}
        assert petition.due_on is None
        event = last_event(petition)
        assert event.visible_to_firm
        assert "行政复议" in event.note

    def test_a_duplicate_is_linked_to_the_original_whose_handler_sees_it(self, world):
        original = flow.assigned(world)
        duplicate = flow.registered(world)
        duplicate = workflow.mark_duplicate(
            petition_id=duplicate.pk, actor=world.staff, original_id=original.pk
        )
        assert duplicate.state == State.DUPLICATE
        assert duplicate.duplicate_of == original
        assert original.number in last_event(duplicate).note
        received = last_event(original)
        assert received.action == "duplicate_received"
        assert duplicate.number in received.note
        assert not received.visible_to_firm

    @pytest.mark.parametrize("original_state", ["self", "registered", "rejected"])
    def test_a_duplicate_needs_an_accepted_original(self, world, original_state):
        petition = flow.registered(world)
        if original_state == "self":
            original = petition
        else:
            original = flow.registered(world)
            if original_state == "rejected":
                workflow.reject(
                    petition_id=original.pk,
                    actor=world.staff,
                    reason=RejectReason.UNCLEAR,
                    explanation="不清楚",
                )
        with pytest.raises(WorkflowError) as exc:
            workflow.mark_duplicate(
                petition_id=petition.pk, actor=world.staff, original_id=original.pk
            )
        assert exc.value.code == "bad_original"
        assert Petition.objects.get(pk=petition.pk).state == State.REGISTERED

    def test_the_firm_may_withdraw_before_acceptance_only(self, world):
        petition = flow.registered(world)
        petition = workflow.withdraw(petition_id=petition.pk, actor=world.colleague)
        assert petition.state == State.WITHDRAWN
        later = flow.accepted(world)
        with pytest.raises(WorkflowError):
            workflow.withdraw(petition_id=later.pk, actor=world.firm_user)

    def test_another_firm_cannot_withdraw(self, world):
        petition = flow.registered(world)
        with pytest.raises(PermissionDenied):
            workflow.withdraw(petition_id=petition.pk, actor=world.other_firm_user)


class TestAssignment:
    def test_a_city_department_confirms_within_one_working_day(self, world):
        with time_machine.travel(at(2026, 9, 30), tick=False):
            petition = flow.proposed(world)
        assert open_due(petition) == {Step.CONFIRM: date(2026, 10, 8)}

    def test_a_district_government_gets_two_working_days_to_confirm(self, world):
        with time_machine.travel(at(2026, 9, 30), tick=False):
            petition = flow.proposed(world, unit=world.district)
        assert open_due(petition) == {Step.CONFIRM: date(2026, 10, 9)}

    def test_a_jurisdictions_own_policy_wins_over_the_default(self, world):
        TimeLimitPolicy.objects.create(
            jurisdiction=world.city, rule=LimitRule.CONFIRM, amount=3, unit=LimitUnit.WORKING_DAYS
        )
        with time_machine.travel(at(2026, 9, 30), tick=False):
            petition = flow.proposed(world)
        assert open_due(petition) == {Step.CONFIRM: date(2026, 10, 10)}

    def test_a_unit_outside_the_jurisdiction_cannot_be_proposed(self, world):
        petition = flow.accepted(world)
        with pytest.raises(WorkflowError) as exc:
            workflow.propose(petition_id=petition.pk, actor=world.staff, unit=world.foreign_dept)
        assert exc.value.code == "bad_unit"
        assert Petition.objects.get(pk=petition.pk).state == State.ACCEPTED

    def test_the_task_force_cannot_be_proposed_as_a_handler(self, world):
        petition = flow.accepted(world)
        with pytest.raises(WorkflowError):
            workflow.propose(petition_id=petition.pk, actor=world.staff, unit=world.task_force_unit)

    def test_the_lead_cannot_also_co_handle(self, world):
        petition = flow.accepted(world)
        with pytest.raises(WorkflowError):
            workflow.propose(
                petition_id=petition.pk, actor=world.staff, unit=world.dept, co_units=[world.dept]
            )
        assert not Petition.objects.get(pk=petition.pk).co_units.exists()

    def test_only_the_proposed_unit_may_confirm(self, world):
        petition = flow.proposed(world)
        for stranger in (world.other_handler, world.staff, world.firm_user, world.leader):
            with pytest.raises(PermissionDenied):
                workflow.confirm(petition_id=petition.pk, actor=stranger)
        assert Petition.objects.get(pk=petition.pk).state == State.PROPOSED

    def test_confirm_makes_the_unit_lead_and_starts_the_letter_deadline(self, world):
        with time_machine.travel(at(2026, 10, 8), tick=False):
            petition = flow.confirmed(world)
        assert petition.lead_unit == world.dept
        assert open_due(petition) == {Step.ISSUE_LETTER: date(2026, 10, 9)}

    def test_a_return_needs_a_standard_reason_and_an_explanation(self, world):
        petition = flow.proposed(world)
        with pytest.raises(WorkflowError):
            workflow.return_petition(
                petition_id=petition.pk, actor=world.handler, reason_code="meh", reason="x"
            )
        with pytest.raises(WorkflowError):
            workflow.return_petition(
                petition_id=petition.pk,
                actor=world.handler,
                reason_code=ReturnReason.OTHER,
                reason="",
            )
        assert Petition.objects.get(pk=petition.pk).state == State.PROPOSED
        assert not PetitionReturn.objects.exists()

    def test_an_upheld_return_reassigns_to_another_unit(self, world):
        petition = flow.returned(world)
        assert petition.state == State.RETURNED
        assert petition.return_count == 1
        assert Step.TRIAGE in open_due(petition)
        petition = workflow.review_return(
            petition_id=petition.pk, actor=world.staff, uphold=True, unit=world.other_dept
        )
        assert petition.state == State.PROPOSED
        assert petition.proposed_unit == world.other_dept
        assert PetitionReturn.objects.get().decision == ReturnDecision.UPHELD
        assert set(open_due(petition)) == {Step.CONFIRM}
        workflow.confirm(petition_id=petition.pk, actor=world.other_handler)

    def test_an_upheld_return_cannot_go_back_to_the_same_unit(self, world):
        petition = flow.returned(world)
        with pytest.raises(WorkflowError):
            workflow.review_return(
                petition_id=petition.pk, actor=world.staff, uphold=True, unit=world.dept
            )
        with pytest.raises(WorkflowError):
            workflow.review_return(petition_id=petition.pk, actor=world.staff, uphold=True)
        assert Petition.objects.get(pk=petition.pk).state == State.RETURNED

    def test_an_overruled_return_leaves_the_case_with_the_unit(self, world):
        petition = flow.returned(world)
        petition = workflow.review_return(
            petition_id=petition.pk, actor=world.staff, uphold=False, note="职责明确"
        )
        assert petition.state == State.CONFIRMED
        assert petition.lead_unit == world.dept
        assert PetitionReturn.objects.get().decision == ReturnDecision.OVERRULED
        assert set(open_due(petition)) == {Step.ISSUE_LETTER}

    def test_propose_is_refused_while_a_return_awaits_review(self, world):
        petition = flow.returned(world)
        with pytest.raises(WorkflowError) as exc:
            workflow.propose(petition_id=petition.pk, actor=world.staff, unit=world.other_dept)
        assert exc.value.code == "return_pending"

    def test_reviewing_without_a_return_is_refused(self, world):
        petition = flow.proposed(world)
        with pytest.raises(WorkflowError):
            workflow.review_return(petition_id=petition.pk, actor=world.staff, uphold=False)


class TestLeaderApproval:
    def test_the_letter_waits_for_the_leaders_approval(self, world):
        petition = flow.awaiting_approval(world)
        assert petition.state == State.AWAITING_APPROVAL
        assert open_due(petition) == {}
        with pytest.raises(WorkflowError):
            workflow.issue_transfer_letter(petition_id=petition.pk, actor=world.staff)
        petition = workflow.approve(
            petition_id=petition.pk, actor=world.leader, instruction="请市工信局牵头。"
        )
        assert petition.state == State.CONFIRMED
        assert petition.approved_at is not None
        petition = workflow.issue_transfer_letter(petition_id=petition.pk, actor=world.staff)
        assert petition.state == State.ASSIGNED

    def test_a_sent_back_petition_needs_approval_again_before_the_letter(self, world):
        petition = flow.awaiting_approval(world)
        with pytest.raises(WorkflowError):
            workflow.send_back(petition_id=petition.pk, actor=world.leader, instruction="")
        petition = workflow.send_back(
            petition_id=petition.pk, actor=world.leader, instruction="补充材料后再报。"
        )
        assert petition.state == State.CONFIRMED
        assert petition.leader_instruction == "补充材料后再报。"
        with pytest.raises(WorkflowError) as exc:
            workflow.issue_transfer_letter(petition_id=petition.pk, actor=world.staff)
        assert exc.value.code == "approval_required"

    def test_only_a_leader_approves(self, world):
        petition = flow.awaiting_approval(world)
        for stranger in (world.staff, world.handler, world.supervisor):
            with pytest.raises(PermissionDenied):
                workflow.approve(petition_id=petition.pk, actor=stranger)

    def test_approval_must_go_to_a_leader(self, world):
        petition = flow.confirmed(world)
        with pytest.raises(WorkflowError):
            workflow.submit_for_approval(
                petition_id=petition.pk, actor=world.staff, leader=world.handler
            )


class TestHandling:
    def test_the_letter_starts_contact_and_reply_deadlines_on_real_dates(self, world):
        # Fri 9 Oct 2026; Sat 10 Oct is a make-up working day (调休).
        with time_machine.travel(at(2026, 10, 9), tick=False):
            petition = flow.assigned(world)
        assert petition.transfer_letter_no == f"ZB{petition.number[2:]}"
        assert open_due(petition) == {
            Step.CONTACT: date(2026, 10, 10),
            Step.REPLY: date(2026, 10, 13),
        }
        assert (petition.due_on, petition.due_step) == (date(2026, 10, 10), Step.CONTACT)

    @pytest.mark.parametrize(
        ("type", "due"),
        [
            (PetitionType.CONSULTATION, date(2026, 10, 10)),
            (PetitionType.SUGGESTION, date(2026, 10, 12)),
            (PetitionType.COMPLAINT, date(2026, 10, 13)),
            (PetitionType.COORDINATION, date(2026, 10, 26)),  # 15 days, Sat 24 Oct rolls to Mon
        ],
    )
    def test_each_type_has_its_reply_limit(self, world, type, due):
        with time_machine.travel(at(2026, 10, 9), tick=False):
            petition = flow.assigned(world, type=type)
        assert open_due(petition)[Step.REPLY] == due

    def test_contact_starts_handling_and_closes_the_contact_deadline(self, world):
        petition = flow.in_progress(world)
        assert petition.state == State.IN_PROGRESS
        assert set(open_due(petition)) == {Step.REPLY}
        assert petition.contacts.count() == 1

    def test_a_second_contact_is_recorded_without_a_state_change(self, world):
        petition = flow.in_progress(world)
        workflow.record_contact(
            petition_id=petition.pk,
            actor=world.handler,
            contacted_at=timezone.now(),
            method="visit",
            summary="上门",
        )
        assert petition.contacts.count() == 2

    def test_a_contact_in_the_future_is_refused(self, world):
        petition = flow.assigned(world)
        with pytest.raises(WorkflowError):
            workflow.record_contact(
                petition_id=petition.pk,
                actor=world.handler,
                contacted_at=timezone.now() + timezone.timedelta(days=2),
                method="phone",
                summary="x",
            )
        assert Petition.objects.get(pk=petition.pk).state == State.ASSIGNED

    def test_progress_reports_count_for_the_thursday_of_their_week(self, world):
        with time_machine.travel(at(2026, 10, 13), tick=False):  # a Tuesday
            petition = flow.in_progress(world)
            report = workflow.report_progress(
                petition_id=petition.pk, actor=world.handler, text="已会商供电局。"
            )
        assert report.week_thursday == date(2026, 10, 15)
        with pytest.raises(WorkflowError):
            workflow.report_progress(petition_id=petition.pk, actor=world.handler, text="  ")
        with pytest.raises(PermissionDenied):
            workflow.report_progress(petition_id=petition.pk, actor=world.other_handler, text="x")

    def test_an_extension_needs_a_reason_and_moves_the_reply_deadline_when_approved(self, world):
        with time_machine.travel(at(2026, 10, 9), tick=False):
            petition = flow.in_progress(world)
            with pytest.raises(WorkflowError):
                workflow.request_extension(
                    petition_id=petition.pk, actor=world.handler, reason="", amount=2
                )
            ext = workflow.request_extension(
                petition_id=petition.pk, actor=world.handler, reason="需等待省厅批复", amount=2
            )
            with pytest.raises(WorkflowError) as exc:
                workflow.request_extension(
                    petition_id=petition.pk, actor=world.handler, reason="again", amount=1
                )
            assert exc.value.code == "pending"
            ext = workflow.decide_extension(extension_id=ext.pk, actor=world.staff, approve=True)
        assert ext.status == ExtensionStatus.APPROVED
        assert (ext.due_before, ext.due_after) == (date(2026, 10, 13), date(2026, 10, 15))
        petition.refresh_from_db()
        assert petition.extension_count == 1
        assert open_due(petition)[Step.REPLY] == date(2026, 10, 15)
        assert last_event(petition).visible_to_firm

    def test_at_most_two_extensions(self, world):
        petition = flow.in_progress(world)
        for _ in range(2):
            ext = workflow.request_extension(
                petition_id=petition.pk, actor=world.handler, reason="等待", amount=1
            )
            workflow.decide_extension(extension_id=ext.pk, actor=world.staff, approve=True)
        with pytest.raises(WorkflowError) as exc:
            workflow.request_extension(
                petition_id=petition.pk, actor=world.handler, reason="第三次", amount=1
            )
        assert exc.value.code == "too_many"
        assert Extension.objects.count() == 2

    def test_a_denied_extension_does_not_count_or_move_anything(self, world):
        petition = flow.in_progress(world)
        before = open_due(petition)
        ext = workflow.request_extension(
            petition_id=petition.pk, actor=world.handler, reason="等待", amount=5
        )
        ext = workflow.decide_extension(
            extension_id=ext.pk, actor=world.staff, approve=False, note="理由不充分"
        )
        assert ext.status == ExtensionStatus.DENIED
        assert open_due(petition) == before
        with pytest.raises(WorkflowError):
            workflow.decide_extension(extension_id=ext.pk, actor=world.staff, approve=True)

    def test_an_extension_amount_must_be_sensible(self, world):
        petition = flow.in_progress(world)
        with pytest.raises(WorkflowError):
            workflow.request_extension(
                petition_id=petition.pk, actor=world.handler, reason="r", amount=0
            )

    def test_co_handlers_send_opinions_to_the_lead(self, world):
        petition = flow.in_progress(world, co_units=[world.other_dept])
        opinion = workflow.submit_opinion(
            petition_id=petition.pk, actor=world.other_handler, text="同意协助。"
        )
        assert opinion.kind == ReplyKind.OPINION
        assert not last_event(petition).visible_to_firm
        with pytest.raises(PermissionDenied):
            workflow.submit_opinion(petition_id=petition.pk, actor=world.district_handler, text="x")

    def test_the_reply_closes_handling_and_opens_the_revisit(self, world):
        petition = flow.replied(world)
        assert petition.state == State.REPLIED
        assert set(open_due(petition)) == {Step.REVISIT}
        reply = petition.replies.get(kind=ReplyKind.REPLY)
        assert last_event(petition).note == reply.text


class TestEvaluation:
    def test_a_satisfied_firm_concludes_the_petition(self, world):
        petition = flow.replied(world)
        evaluation = workflow.evaluate(
            petition_id=petition.pk, actor=world.firm_user, rating=Rating.SATISFIED
        )
        petition.refresh_from_db()
        assert petition.state == State.CONCLUDED
        assert evaluation.source == "firm"
        assert open_due(petition) == {}

    def test_an_unsatisfied_firm_sends_it_back_for_rehandling(self, world):
        petition = flow.replied(world)
        with pytest.raises(WorkflowError):
            workflow.evaluate(
                petition_id=petition.pk, actor=world.firm_user, rating=Rating.UNSATISFIED
            )
        workflow.evaluate(
            petition_id=petition.pk,
            actor=world.firm_user,
            rating=Rating.UNSATISFIED,
            comment="仍未通电",
        )
        petition.refresh_from_db()
        assert petition.state == State.IN_PROGRESS
        assert petition.rehandle_count == 1
        assert set(open_due(petition)) == {Step.REPLY}
        assert last_event(petition).action == "rehandle"

    def test_a_revisit_is_recorded_by_the_task_force_with_its_method(self, world):
        petition = flow.replied(world)
        with pytest.raises(WorkflowError):
            workflow.evaluate(
                petition_id=petition.pk, actor=world.staff, rating=Rating.BASICALLY_SATISFIED
            )
        evaluation = workflow.evaluate(
            petition_id=petition.pk,
            actor=world.staff,
            rating=Rating.BASICALLY_SATISFIED,
            method="phone",
        )
        assert (evaluation.source, evaluation.method) == ("revisit", "phone")

    def test_another_firm_cannot_evaluate(self, world):
        petition = flow.replied(world)
        with pytest.raises(PermissionDenied):
            workflow.evaluate(
                petition_id=petition.pk, actor=world.other_firm_user, rating=Rating.SATISFIED
            )
        assert not Evaluation.objects.exists()

    def test_the_task_force_may_conclude_without_a_rating_with_a_note(self, world):
        petition = flow.replied(world)
        with pytest.raises(WorkflowError):
            workflow.conclude(petition_id=petition.pk, actor=world.staff, note="")
        petition = workflow.conclude(
            petition_id=petition.pk, actor=world.staff, note="多次回访未能联系上企业。"
        )
        assert petition.state == State.CONCLUDED

    def test_finished_cases_are_archived(self, world):
        petition = flow.concluded(world)
        petition = workflow.archive(petition_id=petition.pk, actor=world.staff)
        assert petition.state == State.ARCHIVED
        assert petition.archived_at is not None
        rejected = flow.registered(world)
        workflow.reject(
            petition_id=rejected.pk,
            actor=world.staff,
            reason=RejectReason.UNCLEAR,
            explanation="不清楚",
        )
        assert workflow.archive(petition_id=rejected.pk, actor=world.staff).state == State.ARCHIVED


class TestOverdue:
    def test_a_step_is_late_the_day_after_it_falls_due(self, world):
        with time_machine.travel(at(2026, 10, 9), tick=False):
            petition = flow.assigned(world)
        assert petition.due_on == date(2026, 10, 10)
        assert not Petition.objects.overdue(on=date(2026, 10, 10)).exists()
        assert list(Petition.objects.overdue(on=date(2026, 10, 11))) == [petition]

    def test_finished_petitions_are_never_overdue(self, world):
        with time_machine.travel(at(2026, 10, 9), tick=False):
            petition = flow.concluded(world)
        assert not Petition.objects.overdue(on=date(2027, 1, 1)).filter(pk=petition.pk).exists()

    def test_working_days_left_counts_forward_and_overdue_is_negative(self):
        assert workflow.working_days_left(date(2026, 10, 13), on=date(2026, 10, 9)) == 3
        assert workflow.working_days_left(date(2026, 9, 30), on=date(2026, 10, 9)) == -2


class TestCalendarConfirmation:
    def test_confirming_a_year_recomputes_estimated_deadlines_and_records_it(self, world):
        from petitions.models import CalendarOverride

        with time_machine.travel(at(2026, 12, 31), tick=False):
            petition = flow.registered(world)
        deadline = Deadline.objects.get(petition=petition)
        assert deadline.estimated
        assert deadline.due_on == date(2027, 1, 4)
        # The official 2027 notice makes Mon 4 Jan a rest day.
        CalendarOverride.objects.create(
            date=date(2027, 1, 4), is_working_day=False, note="元旦调休"
        )
        moved = workflow.confirm_calendar_year(
            year=2027, actor=world.staff, source="国办发明电〔2026〕"
        )
        assert moved == 1
        deadline.refresh_from_db()
        petition.refresh_from_db()
        assert (deadline.due_on, deadline.estimated) == (date(2027, 1, 5), False)
        assert petition.due_on == date(2027, 1, 5)
        event = last_event(petition)
        assert event.action == "recompute_deadline"
        assert "2027-01-05" in event.note
        with pytest.raises(WorkflowError):
            workflow.confirm_calendar_year(year=2027, actor=world.staff)

    def test_only_the_task_force_confirms_a_year(self, world):
        with pytest.raises(WorkflowError):
            workflow.confirm_calendar_year(year=2027, actor=world.handler)


class TestVisibility:
    def test_a_firm_sees_its_own_petitions_and_its_colleagues(self, world):
        mine = flow.registered(world)
        assert list(Petition.objects.visible_to(world.colleague)) == [mine]
        assert not Petition.objects.visible_to(world.other_firm_user).exists()

    def test_a_unit_sees_what_it_is_proposed_leads_or_co_handles(self, world):
        petition = flow.assigned(world, co_units=[world.other_dept])
        assert list(Petition.objects.visible_to(world.handler)) == [petition]
        assert list(Petition.objects.visible_to(world.other_handler)) == [petition]
        assert not Petition.objects.visible_to(world.district_handler).exists()

    def test_city_staff_see_district_petitions_but_not_another_citys(self, world):
        petition = flow.registered(world)
        Petition.objects.filter(pk=petition.pk).update(jurisdiction=world.district)
        assert list(Petition.objects.visible_to(world.staff)) == [petition]
        assert list(Petition.objects.visible_to(world.leader)) == [petition]
        assert not Petition.objects.visible_to(world.foreign_staff).exists()

    def test_a_foreign_task_force_cannot_act(self, world):
        petition = flow.registered(world)
        with pytest.raises(PermissionDenied):
            workflow.accept(petition_id=petition.pk, actor=world.foreign_staff)


class TestSmallRefusals:
    def test_an_unknown_petition_is_a_clear_error(self, world):
        with pytest.raises(WorkflowError):
            workflow.accept(petition_id=987654, actor=world.staff)

    def test_accept_refuses_unknown_types_and_classifications(self, world):
        petition = flow.registered(world)
        with pytest.raises(WorkflowError):
            workflow.accept(petition_id=petition.pk, actor=world.staff, type="gossip")
        with pytest.raises(WorkflowError):
            workflow.accept(
                petition_id=petition.pk, actor=world.staff, classification={"colour": "red"}
            )
        assert Petition.objects.get(pk=petition.pk).state == State.REGISTERED

    def test_a_duplicate_of_an_unknown_or_foreign_petition_is_refused(self, world):
        petition = flow.registered(world)
        with pytest.raises(WorkflowError):
            workflow.mark_duplicate(petition_id=petition.pk, actor=world.staff, original_id=987654)

    def test_a_leader_of_another_city_cannot_be_asked_to_approve(self, world):
        from tests.factories import member

        foreign_leader = member(world.foreign_dept, "leader")
        petition = flow.confirmed(world)
        with pytest.raises(WorkflowError):
            workflow.submit_for_approval(
                petition_id=petition.pk, actor=world.staff, leader=foreign_leader
            )

    def test_contact_needs_a_method(self, world):
        petition = flow.assigned(world)
        with pytest.raises(WorkflowError):
            workflow.record_contact(
                petition_id=petition.pk,
                actor=world.handler,
                contacted_at=timezone.now(),
                method="",
                summary="x",
            )

    def test_an_unknown_extension_request_is_refused(self, world):
        with pytest.raises(WorkflowError):
            workflow.decide_extension(extension_id=987654, actor=world.staff, approve=True)

    def test_an_extension_cannot_be_approved_after_the_reply(self, world):
        petition = flow.in_progress(world)
        ext = workflow.request_extension(
            petition_id=petition.pk, actor=world.handler, reason="等待", amount=1
        )
        workflow.reply(petition_id=petition.pk, actor=world.handler, text="已办结")
        with pytest.raises(WorkflowError) as exc:
            workflow.decide_extension(extension_id=ext.pk, actor=world.staff, approve=True)
        assert exc.value.code == "no_deadline"
        assert Extension.objects.get(pk=ext.pk).status == ExtensionStatus.PENDING

    def test_an_evaluation_needs_a_known_rating(self, world):
        petition = flow.replied(world)
        with pytest.raises(WorkflowError):
            workflow.evaluate(petition_id=petition.pk, actor=world.firm_user, rating="meh")

    def test_confirming_a_year_leaves_unaffected_and_unchanged_deadlines_alone(self, world):
        with time_machine.travel(at(2026, 12, 31), tick=False):
            crossing = flow.registered(world)
        far = flow.registered(world)
        Deadline.objects.filter(petition=far).update(
            estimated=True, start_on=date(2030, 1, 2), due_on=date(2030, 1, 3)
        )
        events_before = PetitionEvent.objects.count()
        assert workflow.confirm_calendar_year(year=2027, actor=world.staff) == 0
        assert PetitionEvent.objects.count() == events_before
        assert not Deadline.objects.get(petition=crossing).estimated
        assert Deadline.objects.get(petition=far).estimated


class TestWithdrawByTaskForce:
    def test_the_task_force_records_a_withdrawal_made_by_phone_with_a_note(self, world):
        petition = flow.registered(world)
        with pytest.raises(WorkflowError):
            workflow.withdraw(petition_id=petition.pk, actor=world.staff)
        petition = workflow.withdraw(
            petition_id=petition.pk, actor=world.staff, note="企业来电要求撤回"
        )
        assert petition.state == State.WITHDRAWN


class TestMeetingDecision:
    def test_a_meeting_decision_assigns_without_confirmation_with_meeting_limits(self, world):
        with time_machine.travel(at(2026, 11, 2), tick=False):
            single = flow.accepted(world)
            single = workflow.assign_by_decision(
                petition_id=single.pk, actor=world.staff, unit=world.dept
            )
            several = flow.accepted(world)
            several = workflow.assign_by_decision(
                petition_id=several.pk,
                actor=world.staff,
                unit=world.dept,
                co_units=[world.other_dept],
            )
        assert single.state == State.ASSIGNED
        assert single.lead_unit == world.dept
        assert open_due(single) == {Step.CONTACT: date(2026, 11, 3), Step.REPLY: date(2026, 11, 9)}
        assert open_due(several)[Step.REPLY] == date(2026, 11, 17)
        assert last_event(single).action == "assign_by_decision"

    def test_only_an_accepted_petition_can_be_assigned_by_decision(self, world):
        petition = flow.registered(world)
        with pytest.raises(WorkflowError):
            workflow.assign_by_decision(petition_id=petition.pk, actor=world.staff, unit=world.dept)
        with pytest.raises(PermissionDenied):
            workflow.assign_by_decision(
                petition_id=petition.pk, actor=world.handler, unit=world.dept
            )
