"""The monthly sweep on the 25th or the next working day, exactly once (Shantou 三(五); docs/rules.md §7)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from petitions import workflow
from petitions.models import Petition
from supervision import jobs, sweep
from supervision.models import KeyStatus, KeySupervision, SupervisionPolicy, Sweep, SweepItem
from tests.petitions import flow

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=10):
    return datetime(y, m, d, h, tzinfo=SH)


@pytest.mark.parametrize(
    ("month", "day"),
    [
        (date(2026, 11, 1), date(2026, 11, 25)),  # a Wednesday
        (date(2026, 4, 1), date(2026, 4, 27)),  # Sat 25 April → Monday
        (date(2026, 10, 1), date(2026, 10, 26)),  # Sun 25 October → Monday
    ],
)
def test_the_sweep_day_is_the_25th_or_the_next_working_day(month, day):
    assert sweep.sweep_day(month) == day


def test_nothing_happens_before_the_sweep_day(world):
    flow.assigned(world)
    assert sweep.run_monthly_sweep(date(2026, 11, 24)) is None
    assert not Sweep.objects.exists()


def test_the_sweep_lists_every_unresolved_petition_with_how_late_it_is(world):
    with time_machine.travel(at(2026, 11, 2), tick=False):  # Monday
        late = flow.assigned(world)  # contact due 3 Nov, reply due 5 Nov
        concluded = flow.concluded(world)
        fresh = flow.registered(world)
    result = sweep.run_monthly_sweep(date(2026, 11, 25))
    assert result.item_count == 2
    items = {i.petition_id: i for i in SweepItem.objects.filter(sweep=result)}
    assert set(items) == {late.pk, fresh.pk}
    assert concluded.pk not in items
    # Contact was due Tue 3 Nov; 4..25 Nov holds 16 working days.
    assert items[late.pk].working_days_overdue == 16
    assert items[late.pk].lead_unit_id == world.dept.pk


def test_items_seriously_behind_are_proposed_for_key_supervision_once(world):
    with time_machine.travel(at(2026, 11, 2), tick=False):
        late = flow.assigned(world)
    with time_machine.travel(at(2026, 11, 20), tick=False):
        recent = flow.assigned(world)
    first = sweep.run_monthly_sweep(date(2026, 11, 25))
    assert first.proposed_count == 1
    key = KeySupervision.objects.get()
    assert (key.petition_id, key.status) == (late.pk, KeyStatus.PROPOSED)
    assert not SweepItem.objects.get(sweep=first, petition=recent).proposed_for_key
    # Next month the recent one is late too; the first is not proposed again while still proposed.
    second = sweep.run_monthly_sweep(date(2026, 12, 25))
    assert second.proposed_count == 1
    assert KeySupervision.objects.filter(petition=late).count() == 1
    assert KeySupervision.objects.get(sweep=second).petition_id == recent.pk


def test_the_thresholds_are_configurable_per_jurisdiction(world):
    SupervisionPolicy.objects.create(jurisdiction=world.city, key_overdue_working_days=30)
    with time_machine.travel(at(2026, 11, 2), tick=False):
        flow.assigned(world)
    assert sweep.run_monthly_sweep(date(2026, 11, 25)).proposed_count == 0


def test_two_extensions_or_two_returns_are_enough(world):
    with time_machine.travel(at(2026, 11, 24), tick=False):
        petition = flow.in_progress(world)
        for _ in range(2):
            ext = workflow.request_extension(
                petition_id=petition.pk, actor=world.handler, reason="等待", amount=1
            )
            workflow.decide_extension(extension_id=ext.pk, actor=world.staff, approve=True)
    assert sweep.run_monthly_sweep(date(2026, 11, 25)).proposed_count == 1


def test_a_month_is_swept_once_even_if_the_job_runs_again_or_late(world):
    flow.assigned(world)
    assert sweep.run_monthly_sweep(date(2026, 11, 27)) is not None  # catching up after an outage
    assert sweep.run_monthly_sweep(date(2026, 11, 27)) is None
    assert sweep.run_monthly_sweep(date(2026, 11, 30)) is None
    assert Sweep.objects.count() == 1


def test_the_sweep_costs_the_same_queries_for_many_petitions(world, django_assert_max_num_queries):
    for _ in range(3):
        flow.assigned(world)
    with django_assert_max_num_queries(20) as few:
        sweep.run_monthly_sweep(date(2026, 11, 25))
    Sweep.objects.all().delete()
    for _ in range(12):
        flow.assigned(world)
    with django_assert_max_num_queries(20) as many:
        sweep.run_monthly_sweep(date(2026, 11, 25))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_job_wrapper_reports_what_it_did(world):
    flow.assigned(world)
    assert jobs.monthly_sweep(date(2026, 11, 2)) == {"skipped": "not due or already ran"}
    result = jobs.monthly_sweep(date(2026, 11, 25))
    assert result["month"] == "2026-11"
    assert result["items"] == Petition.objects.open().count()


def test_the_overdue_case_has_one_branch_per_distinct_due_date(world):
    with time_machine.travel(at(2026, 11, 2), tick=False):
        for _ in range(4):
            flow.assigned(world)  # all due on the same day
    expression = sweep._overdue_expression(date(2026, 11, 25))
    assert len(expression.cases) == 1
