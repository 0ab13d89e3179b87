"""What the ledger, the statistics and the reports count (docs/rules.md §7; supervision/selectors.py).

The builders at the top bring petitions to a state through petitions/workflow.py at chosen days
(time-machine), so that deadlines are met or missed for real; test_views and test_exports use them.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from petitions import workflow
from petitions.models import Channel, Petition, PetitionType, Rating, Role, Theme
from supervision import selectors
from supervision.models import SupervisionPolicy
from tests.factories import EnterpriseFactory, firm_user, member
from tests.petitions import flow

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 11, 2)  # a complaint assigned on Mon 2 Nov must be answered by Thu 5 Nov


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SH)


def travel(day: date, hour: int = 10):
    return time_machine.travel(at(day, hour), tick=False)


def handled(
    world,
    *,
    on: date = MONDAY,
    unit=None,
    handler=None,
    theme: Theme | None = None,
    channel: str = Channel.PORTAL,
    type: str = PetitionType.COMPLAINT,
    confirm_on: date | None = None,
    reply_on: date | None = None,
    rating: str | None = None,
    title: str = "用电报装审批时间过长",
    hour: int = 10,
) -> Petition:
    """A petition registered, accepted and proposed on `on`, confirmed (and assigned, contacted) on
    `confirm_on`, replied on `reply_on` and rated by the firm that afternoon."""
    unit, handler = unit or world.dept, handler or world.handler
    with travel(on, hour):
        registrant = world.firm_user if channel == Channel.PORTAL else world.staff
        p = workflow.register(
            actor=registrant,
            enterprise=world.firm,
            channel=channel,
            type=type,
            title=title,
            content="企业新厂房用电报装已提交两个月，仍未审批，影响投产。",
            theme_id=(theme or world.theme).pk,
        )
        workflow.accept(petition_id=p.pk, actor=world.staff)
        workflow.propose(petition_id=p.pk, actor=world.staff, unit=unit)
    with travel(confirm_on or on, 11):
        workflow.confirm(petition_id=p.pk, actor=handler)
        workflow.issue_transfer_letter(petition_id=p.pk, actor=world.staff)
        workflow.record_contact(
            petition_id=p.pk,
            actor=handler,
            contacted_at=timezone.now(),
            method="phone",
            summary="电话联系企业负责人。",
        )
    if reply_on:
        reply(p, handler, reply_on)
    if rating:
        evaluate(world, p, rating, reply_on)
    return Petition.objects.get(pk=p.pk)


def reply(petition: Petition, handler, day: date) -> None:
    with travel(day):
        workflow.reply(petition_id=petition.pk, actor=handler, text="已协调供电部门完成报装。")


def evaluate(world, petition: Petition, rating: str, day: date) -> None:
    with travel(day, 15):
        workflow.evaluate(
            petition_id=petition.pk,
            actor=world.firm_user,
            rating=rating,
            comment="仍未解决。" if rating == Rating.UNSATISFIED else "",
        )


def foreign_assigned(world) -> Petition:
    """A petition of the other city, assigned there: nobody in 汕头市 may see it."""
    firm = EnterpriseFactory(jurisdiction=world.other_city)
    owner = firm_user(firm, username="foreign_firm")
    handler = member(world.foreign_dept, Role.HANDLER, username="foreign_handler")
    with travel(MONDAY):
        p = workflow.register(
            actor=owner,
            enterprise=firm,
            channel=Channel.PORTAL,
            type=PetitionType.COMPLAINT,
            title="河源企业的诉求",
            content="外市企业反映的问题。",
            theme_id=world.theme.pk,
        )
        workflow.accept(petition_id=p.pk, actor=world.foreign_staff)
        workflow.propose(petition_id=p.pk, actor=world.foreign_staff, unit=world.foreign_dept)
        workflow.confirm(petition_id=p.pk, actor=handler)
        workflow.issue_transfer_letter(petition_id=p.pk, actor=world.foreign_staff)
    return Petition.objects.get(pk=p.pk)


def ledger_of(user, today: date):
    return selectors.ledger(Petition.objects.visible_to(user), today)


# --- the ledger ------------------------------------------------------------------------------------


def test_the_ledger_closes_out_by_the_last_reply_deadline(world):
    on_time = handled(world, reply_on=date(2026, 11, 4), rating=Rating.SATISFIED)
    late = handled(world, reply_on=date(2026, 11, 10), rating=Rating.SATISFIED)
    # Late first, then re-handled and answered within the new limit: judged by the last deadline.
    redeemed = handled(world, reply_on=date(2026, 11, 10), rating=Rating.UNSATISFIED)
    reply(redeemed, world.handler, date(2026, 11, 11))
    evaluate(world, redeemed, Rating.BASICALLY_SATISFIED, date(2026, 11, 11))
    still_open = handled(world)
    replied_only = handled(world, reply_on=date(2026, 11, 4))
    rows = {p.pk: p for p in ledger_of(world.staff, date(2026, 11, 26))}
    assert rows[on_time.pk].closeout == "on_time"
    assert rows[late.pk].closeout == "late"
    assert rows[redeemed.pk].closeout == "on_time"
    assert rows[still_open.pk].closeout == "open"
    assert rows[replied_only.pk].closeout == "open"  # closed out only once concluded
    assert rows[late.pk].reply_due_on == date(2026, 11, 5)
    assert rows[redeemed.pk].reply_due_on > date(2026, 11, 11)


def test_the_closeout_filters_agree_with_the_annotation(world):
    on_time = handled(world, reply_on=date(2026, 11, 4), rating=Rating.SATISFIED)
    late = handled(world, reply_on=date(2026, 11, 10), rating=Rating.SATISFIED)
    still_open = handled(world)
    rows = ledger_of(world.staff, date(2026, 11, 26))
    assert [p.pk for p in selectors.filter_closeout(rows, "on_time")] == [on_time.pk]
    assert [p.pk for p in selectors.filter_closeout(rows, "late")] == [late.pk]
    assert [p.pk for p in selectors.filter_closeout(rows, "open")] == [still_open.pk]


def test_the_ledger_lists_only_assigned_petitions_of_the_users_jurisdictions(world):
    mine = handled(world)
    with travel(MONDAY):
        not_assigned = flow.proposed(world)
    foreign = foreign_assigned(world)
    pks = {p.pk for p in ledger_of(world.staff, date(2026, 11, 26))}
    assert mine.pk in pks
    assert not_assigned.pk not in pks
    assert foreign.pk not in pks
    assert {p.pk for p in ledger_of(world.foreign_staff, date(2026, 11, 26))} == {foreign.pk}


def test_the_progress_flag_follows_this_weeks_reporting_thursday(world):
    quiet = handled(world)
    reported = handled(world)
    with travel(date(2026, 11, 24)):
        workflow.report_progress(petition_id=reported.pk, actor=world.handler, text="推进中")
    newcomer = handled(world, on=date(2026, 11, 23))
    done = handled(world, reply_on=date(2026, 11, 4), rating=Rating.SATISFIED)
    rows = {p.pk: p.no_progress for p in ledger_of(world.staff, date(2026, 11, 25))}
    assert rows == {quiet.pk: True, reported.pk: False, newcomer.pk: False, done.pk: False}
    flagged = selectors.filter_missing_progress(
        ledger_of(world.staff, date(2026, 11, 25)), date(2026, 11, 25)
    )
    assert [p.pk for p in flagged] == [quiet.pk]


# --- statistics -------------------------------------------------------------------------------------


def test_rates_per_unit_count_confirmation_conclusion_and_weighted_satisfaction(world):
    handled(world, reply_on=date(2026, 11, 4), rating=Rating.SATISFIED)
    handled(world, reply_on=date(2026, 11, 4), rating=Rating.BASICALLY_SATISFIED)
    # Confirmed three working days late, replied late.
    handled(
        world,
        confirm_on=date(2026, 11, 5),
        reply_on=date(2026, 11, 20),
        rating=Rating.SATISFIED,
    )
    handled(world)  # open: counts for confirmation only
    handled(world, unit=world.other_dept, handler=world.other_handler)
    stats = selectors.statistics(
        Petition.objects.visible_to(world.staff),
        selectors.Period.last_months(date(2026, 11, 26)),
        SupervisionPolicy(basic_satisfied_weight=Decimal("0.8"), recurring_threshold=3),
    )
    rates = {r.unit: r for r in stats.rates}
    dept = rates[world.dept.name]
    assert (dept.received, dept.confirm_total, dept.confirm_on_time) == (4, 4, 3)
    assert (dept.conclude_total, dept.conclude_on_time) == (3, 2)
    assert dept.confirm_rate == Decimal("75.0")
    assert dept.conclude_rate == Decimal("66.7")
    assert (dept.evaluations, dept.satisfied, dept.basically) == (3, 2, 1)
    assert dept.satisfaction_rate == Decimal("93.3")  # (1 + 0.8 + 1) / 3
    other = rates[world.other_dept.name]
    assert other.conclude_rate is None
    assert other.satisfaction_rate is None
    assert stats.total == 5
    assert stats.overall.confirm_total == 5


def test_volumes_by_month_channel_type_theme_unit_and_jurisdiction(world):
    land = Theme.objects.get(code="land")
    handled(world, on=date(2026, 10, 12))
    handled(world, channel=Channel.VISIT, type=PetitionType.CONSULTATION, theme=land)
    handled(world, unit=world.other_dept, handler=world.other_handler)
    stats = selectors.statistics(
        Petition.objects.visible_to(world.staff),
        selectors.Period.months_to(date(2026, 10, 1), date(2026, 11, 1)),
        SupervisionPolicy(),
    )
    charts = {c.id: c for c in stats.charts}
    assert charts["by-channel"].categories == ["2026-10", "2026-11"]
    channel = {s["name"]: s["data"] for s in charts["by-channel"].series}
    assert channel[str(Channel.PORTAL.label)] == [1, 1]
    assert channel[str(Channel.VISIT.label)] == [0, 1]
    types = {s["name"]: s["data"] for s in charts["by-type"].series}
    assert types[str(PetitionType.CONSULTATION.label)] == [0, 1]
    themes = {s["name"]: s["data"] for s in charts["by-theme"].series}
    assert themes == {world.theme.name: [1, 1], land.name: [0, 1]}
    assert {s["name"]: s["data"] for s in charts["by-jurisdiction"].series} == {
        world.city.name: [1, 2]
    }
    assert dict(
        zip(charts["by-unit"].categories, charts["by-unit"].series[0]["data"], strict=True)
    ) == {
        world.dept.name: 2,
        world.other_dept.name: 1,
    }
    table = charts["by-unit"].table
    assert table["rows"][0] == (world.dept.name, [2])


def test_the_period_bounds_are_whole_days_in_shanghai(world):
    handled(world, on=date(2026, 11, 1), hour=7)  # 31 October 23:00 UTC
    visible = Petition.objects.visible_to(world.staff)
    november = selectors.statistics(visible, selectors.Period.month(2026, 11), SupervisionPolicy())
    october = selectors.statistics(visible, selectors.Period.month(2026, 10), SupervisionPolicy())
    assert (november.total, october.total) == (1, 0)
    assert november.charts[0].categories == ["2026-11"]


def test_recurring_problems_and_the_problem_of_the_month(world):
    land = Theme.objects.get(code="land")
    for _ in range(3):
        handled(world, theme=land)
    handled(world)
    handled(world, on=date(2026, 10, 12))
    stats = selectors.statistics(
        Petition.objects.visible_to(world.staff),
        selectors.Period.last_months(date(2026, 11, 26)),
        SupervisionPolicy(recurring_threshold=3),
    )
    assert [(r.where, r.theme, r.count) for r in stats.recurring_jurisdictions] == [
        (world.city.name, land.name, 3)
    ]
    assert [(r.where, r.theme, r.count) for r in stats.recurring_units] == [
        (world.dept.name, land.name, 3)
    ]
    assert [(i.month, i.theme, i.count) for i in stats.monthly_issues] == [
        (date(2026, 10, 1), world.theme.name, 1),
        (date(2026, 11, 1), land.name, 3),
    ]


def test_statistics_never_count_another_citys_petitions(world):
    foreign_assigned(world)
    stats = selectors.statistics(
        Petition.objects.visible_to(world.staff),
        selectors.Period.last_months(date(2026, 11, 26)),
        SupervisionPolicy(),
    )
    assert stats.total == 0
    assert stats.rates == []


# --- reports ------------------------------------------------------------------------------------------


def test_report_counts_what_happened_in_the_period(world):
    handled(world, on=date(2026, 10, 12), reply_on=date(2026, 11, 4), rating=Rating.SATISFIED)
    handled(world, reply_on=date(2026, 11, 10), rating=Rating.SATISFIED)  # reply late
    handled(world)  # reply due 5 Nov, still open: overdue
    counts = selectors.report_counts(
        Petition.objects.visible_to(world.staff),
        selectors.Period.month(2026, 11),
        date(2026, 11, 26),
    )
    assert counts == {"received": 2, "accepted": 2, "concluded": 2, "overdue": 2}


def test_periods_cover_whole_months_and_quarters():
    assert selectors.Period.quarter(2026, 4) == selectors.Period(
        date(2026, 10, 1), date(2026, 12, 31)
    )
    assert selectors.Period.last_months(date(2026, 11, 22)).start == date(2025, 12, 1)
    assert len(selectors.Period.last_months(date(2026, 11, 22)).months) == 12
    assert selectors.add_months(date(2026, 1, 31), -1) == date(2025, 12, 1)
