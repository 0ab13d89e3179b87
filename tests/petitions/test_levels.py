"""Every level runs the mechanism for itself; cases are passed up and handed down with their history
(docs/rules.md §1)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import translation

from petitions import levels as lv
from petitions import workflow
from petitions.exceptions import WorkflowError
from petitions.models import (
    Channel,
    Deadline,
    LevelTransfer,
    LimitRule,
    Petition,
    PetitionReturn,
    PetitionType,
    ReturnDecision,
    ReturnReason,
    State,
    Step,
    TimeLimitPolicy,
)
from tests.factories import EnterpriseFactory, firm_user
from tests.petitions import flow

pytestmark = pytest.mark.django_db


def district_petition(world, jurisdiction=None):
    firm = EnterpriseFactory(jurisdiction=jurisdiction or world.district)
    return workflow.register(
        actor=firm_user(firm),
        enterprise=firm,
        channel=Channel.PORTAL,
        type=PetitionType.COORDINATION,
        title="跨区协调",
        content="需要市级部门协调用地指标。",
        theme_id=world.theme.pk,
    )


def last_event(petition):
    return petition.events.order_by("-pk").first()


class TestWhoActs:
    def test_a_district_with_its_own_task_force_runs_its_cases_and_the_city_only_reads(
        self, world, levels
    ):
        petition = district_petition(world)
        assert petition in Petition.objects.visible_to(world.staff)
        with pytest.raises(PermissionDenied):
            workflow.accept(petition_id=petition.pk, actor=world.staff)
        workflow.accept(petition_id=petition.pk, actor=levels.district_staff)

    def test_the_city_stands_in_for_a_level_without_a_task_force(self, world, levels):
        petition = district_petition(world, levels.zone)
        assert lv.run_by(levels.zone) == world.city
        assert lv.run_by(world.district) == world.district
        workflow.accept(petition_id=petition.pk, actor=world.staff)
        assert levels.zone.pk in lv.acting_ids(world.staff.unit)
        assert world.district.pk not in lv.acting_ids(world.staff.unit)

    def test_a_district_never_sees_or_acts_on_the_citys_or_another_levels_cases(
        self, world, levels
    ):
        city_case = flow.registered(world)
        zone_case = district_petition(world, levels.zone)
        visible = Petition.objects.visible_to(levels.district_staff)
        assert city_case not in visible
        assert zone_case not in visible
        with pytest.raises(PermissionDenied):
            workflow.accept(petition_id=city_case.pk, actor=levels.district_staff)


class TestPassUp:
    def test_the_district_passes_up_and_the_city_triages_again(self, world, levels):
        petition = district_petition(world)
        workflow.accept(petition_id=petition.pk, actor=levels.district_staff)
        received = petition.received_at
        petition = workflow.pass_up(
            petition_id=petition.pk, actor=levels.district_staff, reason="区级无法协调用地指标"
        )
        assert petition.jurisdiction == world.city
        assert petition.state == State.REGISTERED
        assert petition.received_at == received
        event = last_event(petition)
        assert event.action == "pass_up"
        assert event.visible_to_firm
        assert "区级无法协调用地指标" in event.note
        assert world.city.name in event.note
        move = LevelTransfer.objects.get(petition=petition)
        assert (move.from_jurisdiction, move.to_jurisdiction) == (world.district, world.city)
        # The district keeps reading the case and its history, but no longer acts on it.
        assert petition in Petition.objects.visible_to(levels.district_staff)
        assert petition in Petition.objects.visible_to(levels.district_leader)
        with pytest.raises(PermissionDenied):
            workflow.accept(petition_id=petition.pk, actor=levels.district_staff)
        workflow.accept(petition_id=petition.pk, actor=world.staff)
        petition = workflow.propose(
            petition_id=petition.pk,
            actor=world.staff,
            unit=levels.stationed,
            co_units=[world.district_dept],
        )
        assert petition.proposed_unit == levels.stationed

    def test_the_triage_limit_restarts_at_the_new_level(self, world, levels):
        with time_machine.travel(date(2026, 12, 1), tick=False):
            petition = district_petition(world)
        with time_machine.travel(date(2026, 12, 3), tick=False):
            workflow.pass_up(petition_id=petition.pk, actor=levels.district_staff, reason="跨区")
        triage = Deadline.objects.filter(petition=petition, step=Step.TRIAGE)
        assert triage.count() == 2
        assert triage.filter(closed_at__isnull=True).get().start_on == date(2026, 12, 3)

    def test_passing_up_needs_a_reason_a_higher_level_and_an_early_state(self, world, levels):
        petition = district_petition(world)
        with pytest.raises(WorkflowError):
            workflow.pass_up(petition_id=petition.pk, actor=levels.district_staff, reason=" ")
        with pytest.raises(WorkflowError) as exc:
            workflow.pass_up(petition_id=flow.registered(world).pk, actor=world.staff, reason="x")
        assert exc.value.code == "no_parent"
        with pytest.raises(WorkflowError):
            workflow.pass_up(petition_id=flow.assigned(world).pk, actor=world.staff, reason="x")
        assert not LevelTransfer.objects.exists()
        assert Petition.objects.get(pk=petition.pk).jurisdiction == world.district

    def test_the_city_cannot_pass_up_for_a_district_that_runs_itself(self, world, levels):
        petition = district_petition(world)
        with pytest.raises(PermissionDenied):
            workflow.pass_up(petition_id=petition.pk, actor=world.staff, reason="x")

    def test_a_pending_return_goes_up_with_the_case(self, world, levels):
        petition = district_petition(world)
        workflow.accept(petition_id=petition.pk, actor=levels.district_staff)
        workflow.propose(
            petition_id=petition.pk, actor=levels.district_staff, unit=world.district_dept
        )
        workflow.return_petition(
            petition_id=petition.pk,
            actor=world.district_handler,
            reason_code=ReturnReason.NOT_OUR_REMIT,
            reason="用地指标归市自然资源局",
            suggested_unit=world.other_dept,
        )
        workflow.pass_up(petition_id=petition.pk, actor=levels.district_staff, reason="区级无权限")
        assert PetitionReturn.objects.get(petition=petition).decision == ReturnDecision.PASSED
        workflow.accept(petition_id=petition.pk, actor=world.staff)
        petition = workflow.propose(
            petition_id=petition.pk, actor=world.staff, unit=world.other_dept
        )
        assert petition.state == State.PROPOSED


class TestHandDown:
    def test_the_city_hands_a_case_down_where_it_belongs(self, world, levels):
        petition = flow.registered(world)
        petition = workflow.hand_down(
            petition_id=petition.pk, actor=world.staff, to=world.district, reason="属龙湖区事权"
        )
        assert petition.jurisdiction == world.district
        assert petition.state == State.REGISTERED
        assert last_event(petition).action == "hand_down"
        assert last_event(petition).visible_to_firm
        workflow.accept(petition_id=petition.pk, actor=levels.district_staff)
        # The city still reads it (its district), and acts no more.
        assert petition in Petition.objects.visible_to(world.staff)
        with pytest.raises(PermissionDenied):
            workflow.propose(petition_id=petition.pk, actor=world.staff, unit=world.district_dept)

    def test_only_to_a_level_below(self, world, levels):
        petition = flow.registered(world)
        for wrong in (world.city, world.other_city, world.dept):
            with pytest.raises(WorkflowError):
                workflow.hand_down(petition_id=petition.pk, actor=world.staff, to=wrong, reason="x")
        assert not LevelTransfer.objects.exists()

    def test_a_district_cannot_hand_the_citys_case_anywhere(self, world, levels):
        petition = flow.registered(world)
        with pytest.raises(PermissionDenied):
            workflow.hand_down(
                petition_id=petition.pk, actor=levels.district_staff, to=world.district, reason="x"
            )


class TestWhoMayLead:
    def test_the_city_offers_its_departments_stationed_units_and_lower_governments(
        self, world, levels
    ):
        lead = set(lv.lead_units(world.city))
        assert {world.dept, levels.stationed, world.district, levels.zone} <= lead
        assert world.district_dept not in lead
        co = set(lv.co_units(world.city))
        assert {world.district_dept, levels.zone_dept, levels.stationed} <= co
        assert world.foreign_dept not in co

    def test_a_district_offers_its_own_departments(self, world, levels):
        assert set(lv.lead_units(world.district)) == {world.district_dept, levels.district_dept2}

    def test_the_city_cannot_make_a_district_department_lead(self, world, levels):
        petition = flow.accepted(world)
        with pytest.raises(WorkflowError) as exc:
            workflow.propose(petition_id=petition.pk, actor=world.staff, unit=world.district_dept)
        assert exc.value.code == "bad_unit"


class TestConfirmLimit:
    def test_every_unit_of_a_district_gets_two_working_days(self, world, levels):
        with time_machine.travel(date(2026, 12, 1), tick=False):
            petition = district_petition(world)
            workflow.accept(petition_id=petition.pk, actor=levels.district_staff)
            workflow.propose(
                petition_id=petition.pk, actor=levels.district_staff, unit=world.district_dept
            )
        confirm = Deadline.objects.get(petition=petition, step=Step.CONFIRM)
        assert (confirm.rule, confirm.amount, confirm.due_on) == (
            LimitRule.CONFIRM_LOWER,
            2,
            date(2026, 12, 3),
        )

    def test_a_district_sets_its_own_confirm_limit(self, world, levels):
        TimeLimitPolicy.objects.create(
            jurisdiction=world.district, rule=LimitRule.CONFIRM_LOWER, amount=3, unit="working_days"
        )
        petition = flow.accepted(world)
        # A city case proposed to the district's government gets the district's limit too.
        workflow.propose(petition_id=petition.pk, actor=world.staff, unit=world.district)
        assert Deadline.objects.get(petition=petition, step=Step.CONFIRM).amount == 3


class TestNumbers:
    def test_a_prefixed_jurisdiction_numbers_its_own_series(self, world, levels):
        world.district.number_prefix = "LH"
        world.district.save()
        first, second = district_petition(world), district_petition(world)
        city = flow.registered(world)
        year = first.received_at.year
        assert first.number == f"ZQLH{year}-000001"
        assert second.number == f"ZQLH{year}-000002"
        assert city.number.startswith(f"ZQ{year}-")


class TestRegisterAtALevel:
    def test_the_city_files_a_district_firms_case_at_its_own_level(self, world, levels):
        firm = EnterpriseFactory(jurisdiction=world.district)
        petition = workflow.register(
            actor=world.staff,
            enterprise=firm,
            channel=Channel.VISIT,
            type=PetitionType.COORDINATION,
            title="恳谈会议定",
            content="市级议定事项。",
            jurisdiction=world.city,
        )
        assert petition.jurisdiction == world.city

    def test_not_at_a_level_the_actor_does_not_run(self, world, levels):
        firm = EnterpriseFactory(jurisdiction=world.district)
        for actor, level in (
            (levels.district_staff, world.city),
            (world.staff, world.district),  # the district runs itself
            (world.staff, world.other_city),
        ):
            with pytest.raises(WorkflowError):
                workflow.register(
                    actor=actor,
                    enterprise=firm,
                    channel=Channel.VISIT,
                    type=PetitionType.COORDINATION,
                    title="x",
                    content="x",
                    jurisdiction=level,
                )
        assert not Petition.objects.exists()


class TestUnitRefusals:
    def test_each_wrong_unit_is_named_for_what_it_cannot_do(self, world, levels):
        petition = flow.accepted(world)
        cases = (
            ({"unit": world.task_force_unit}, "cannot handle"),
            ({"unit": world.district_dept}, "cannot lead"),
            ({"unit": world.dept, "co_units": [world.foreign_dept]}, "cannot co-handle"),
        )
        for kwargs, words in cases:
            with translation.override("en"), pytest.raises(WorkflowError) as exc:
                workflow.propose(petition_id=petition.pk, actor=world.staff, **kwargs)
            assert exc.value.code == "bad_unit"
            assert words in str(exc.value.messages[0]), words
        assert Petition.objects.get(pk=petition.pk).state == State.ACCEPTED
