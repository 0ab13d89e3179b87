"""The unit's inbox: tabs and their counts, order, filters, search, pages and a fixed query count."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from petitions import workflow
from petitions.models import Petition, PetitionType, Role, Theme
from tests.factories import EnterpriseFactory, member
from tests.petitions import flow

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A plain working week (no holiday near): Monday 9 and Tuesday 17 November 2026.
EARLIER = datetime(2026, 11, 9, 10, 0, tzinfo=SHANGHAI)
NOW = datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI)
TABS = ["confirm", "handling", "due_soon", "overdue", "co", "replied", "concluded"]


def led_by(world, unit, *, co_units=(), type=PetitionType.COMPLAINT, contact=True) -> Petition:
    """A petition led by `unit` (through the workflow, acting as that unit's handler)."""
    handler = member(unit, Role.HANDLER) if unit != world.dept else world.handler
    petition = flow.accepted(world, type=type)
    workflow.propose(petition_id=petition.pk, actor=world.staff, unit=unit, co_units=co_units)
    workflow.confirm(petition_id=petition.pk, actor=handler)
    workflow.issue_transfer_letter(petition_id=petition.pk, actor=world.staff)
    if contact:
        workflow.record_contact(
            petition_id=petition.pk,
            actor=handler,
            contacted_at=timezone.now(),
            method="phone",
            summary="电话联系企业。",
        )
    return Petition.objects.get(pk=petition.pk)


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def inbox(world):
    """One petition for each tab of world.dept's inbox, plus petitions of another unit."""
    with time_machine.travel(EARLIER, tick=False):
        late = led_by(world, world.dept, contact=False)  # contact was due on 10 Nov
    with time_machine.travel(NOW, tick=False):
        rows = {
            "late": late,
            "proposed": flow.proposed(world),  # confirm due 18 Nov
            "handling": led_by(world, world.dept),  # complaint: reply due 20 Nov
            "soon": led_by(world, world.dept, type=PetitionType.CONSULTATION),  # due 18 Nov
            "replied": flow.replied(world),
            "concluded": flow.concluded(world),
            "co": led_by(world, world.other_dept, co_units=[world.dept]),
            "theirs": led_by(world, world.other_dept),
            "their_proposal": flow.proposed(world, unit=world.other_dept),
        }
    return rows


def numbers(response) -> list[str]:
    return [row.number for row in response.context["inbox"].rows]


def get(client, **params):
    return client.get(reverse("handler:inbox"), params)


@pytest.mark.parametrize(
    ("tab", "expected"),
    [
        ("confirm", ["proposed"]),
        ("handling", ["late", "soon", "handling"]),
        ("due_soon", ["proposed", "soon"]),
        ("overdue", ["late"]),
        ("co", ["co"]),
        ("replied", ["replied"]),
        ("concluded", ["concluded"]),
    ],
)
def test_each_tab_lists_the_units_petitions_by_due_date(client, world, inbox, now, tab, expected):
    client.force_login(world.handler)
    response = get(client, tab=tab)
    assert response.status_code == 200
    assert numbers(response) == [inbox[key].number for key in expected]


def test_the_tab_counts_match_the_tabs(client, world, inbox, now):
    client.force_login(world.handler)
    counts = get(client).context["inbox"].counts
    assert counts == {
        "confirm": 1,
        "handling": 3,
        "due_soon": 2,
        "overdue": 1,
        "co": 1,
        "replied": 1,
        "concluded": 1,
    }
    for tab in TABS:
        assert len(get(client, tab=tab).context["inbox"].rows) == counts[tab]


def test_another_unit_sees_its_own_petitions_only(client, world, inbox, now):
    client.force_login(world.other_handler)
    response = get(client, tab="handling")
    assert numbers(response) == [inbox["co"].number, inbox["theirs"].number]
    assert get(client, tab="confirm").context["inbox"].counts["confirm"] == 1
    assert get(client, tab="co").context["inbox"].counts["co"] == 0
    body = get(client, tab="handling").content.decode()
    assert inbox["late"].number not in body


def test_each_row_shows_what_is_due_how_long_is_left_and_our_part(client, world, inbox, now):
    client.force_login(world.handler)
    body = get(client, tab="handling").content.decode()
    assert inbox["late"].number in body
    assert "联系企业" in body  # the step due (Step.CONTACT)
    assert "已逾期 5 个工作日" in body  # due 10 Nov, today 17 Nov
    assert "还剩 1 个工作日" in body
    assert body.count('data-role="lead"') == 3
    assert 'data-role="co"' in get(client, tab="co").content.decode()
    assert 'data-role="proposed"' in get(client, tab="confirm").content.decode()


def test_a_petition_without_this_weeks_progress_report_is_flagged(client, world, inbox, now):
    client.force_login(world.handler)
    flagged = {r.number: r.progress_due for r in get(client, tab="handling").context["inbox"].rows}
    assert flagged == dict.fromkeys(
        [inbox["late"].number, inbox["soon"].number, inbox["handling"].number], True
    )
    workflow.report_progress(petition_id=inbox["soon"].pk, actor=world.handler, text="已会商。")
    flagged = {r.number: r.progress_due for r in get(client, tab="handling").context["inbox"].rows}
    assert flagged[inbox["soon"].number] is False
    assert flagged[inbox["handling"].number] is True
    assert get(client, tab="handling").content.decode().count('data-flag="progress-due"') == 2


def test_last_weeks_report_does_not_count_for_this_week(client, world, inbox):
    with time_machine.travel(EARLIER, tick=False):  # Monday of the week before: counts for 12 Nov
        workflow.report_progress(petition_id=inbox["late"].pk, actor=world.handler, text="上周。")
    with time_machine.travel(NOW, tick=False):
        client.force_login(world.handler)
        rows = get(client, tab="handling").context["inbox"].rows
    assert next(r for r in rows if r.pk == inbox["late"].pk).progress_due is True


def test_co_handled_and_replied_petitions_are_not_flagged(client, world, inbox, now):
    client.force_login(world.handler)
    assert not get(client, tab="co").context["inbox"].rows[0].progress_due
    assert not get(client, tab="replied").context["inbox"].rows[0].progress_due


# --- filters and search -------------------------------------------------------------------------


def test_filter_by_type(client, world, inbox, now):
    client.force_login(world.handler)
    response = get(client, tab="handling", type=PetitionType.CONSULTATION)
    assert numbers(response) == [inbox["soon"].number]
    assert '<option value="consultation" selected>' in response.content.decode()
    assert response.context["inbox"].filtered
    # The tab counts stay those of the whole inbox.
    assert response.context["inbox"].counts["handling"] == 3


def test_filter_by_theme(client, world, inbox, now):
    other = Theme.objects.exclude(pk=world.theme.pk).first()
    client.force_login(world.handler)
    assert numbers(get(client, tab="handling", theme=world.theme.pk))
    assert numbers(get(client, tab="handling", theme=other.pk)) == []


def test_filter_by_jurisdiction(client, world, now):
    """A district department leads petitions of its district and co-handles the city's (docs/rules.md §1)."""
    district_firm = EnterpriseFactory(jurisdiction=world.district)
    petition = workflow.register(
        actor=world.staff,
        enterprise=district_firm,
        channel="visit",
        type=PetitionType.COMPLAINT,
        title="区内企业诉求",
        content="区内企业反映的问题。",
        theme_id=world.theme.pk,
    )
    workflow.accept(petition_id=petition.pk, actor=world.staff)
    workflow.propose(petition_id=petition.pk, actor=world.staff, unit=world.district_dept)
    city_one = flow.in_progress(world, co_units=[world.district_dept])
    client.force_login(world.district_handler)
    response = get(client, tab="confirm")
    assert numbers(response) == [petition.number]
    assert numbers(get(client, tab="co")) == [city_one.number]
    choices = list(response.context["filter"].form.fields["jurisdiction"].queryset)
    assert choices == [world.city, world.district]
    assert numbers(get(client, tab="confirm", jurisdiction=world.district.pk)) == [petition.number]
    assert numbers(get(client, tab="co", jurisdiction=world.district.pk)) == []
    assert numbers(get(client, tab="co", jurisdiction=world.city.pk)) == [city_one.number]


def test_filter_by_received_dates(client, world, inbox, now):
    client.force_login(world.handler)
    response = get(client, tab="handling", received_from="2026-11-01", received_to="2026-11-10")
    assert numbers(response) == [inbox["late"].number]
    response = get(client, tab="handling", received_from="2026-11-17")
    assert inbox["late"].number not in numbers(response)


@pytest.mark.parametrize("field", ["number", "firm", "content", "title"])
def test_search_finds_number_firm_name_and_content(client, world, inbox, now, field):
    world.other_firm.name = "汕头市华侨新材料有限公司"
    world.other_firm.save()
    with time_machine.travel(NOW, tick=False):
        petition = workflow.register(
            actor=world.other_firm_user,
            enterprise=world.other_firm,
            channel="portal",
            type=PetitionType.SUGGESTION,
            title="建议开通跨境电商专线",
            content="希望海关延长集装箱查验时间。",
            theme_id=world.theme.pk,
        )
        workflow.accept(petition_id=petition.pk, actor=world.staff)
        workflow.propose(petition_id=petition.pk, actor=world.staff, unit=world.dept)
    term = {
        "number": petition.number[-6:],
        "firm": "华侨新材料",
        "content": "集装箱查验",
        "title": "跨境电商",
    }[field]
    client.force_login(world.handler)
    response = get(client, tab="confirm", q=term)
    assert numbers(response) == [petition.number]
    assert f'value="{term}"' in response.content.decode()


def test_search_never_reaches_another_units_petitions(client, world, inbox, now):
    client.force_login(world.handler)
    response = get(client, tab="handling", q=inbox["theirs"].number)
    assert numbers(response) == []


def test_a_bad_filter_value_is_shown_and_the_list_stays_unfiltered(client, world, inbox, now):
    client.force_login(world.handler)
    response = get(client, tab="handling", received_from="not-a-date")
    assert len(numbers(response)) == 3
    assert "is-invalid" in response.content.decode()


def test_an_unknown_tab_shows_the_default_tab(client, world, inbox, now):
    client.force_login(world.handler)
    assert get(client, tab="nonsense").context["inbox"].tab == "handling"


# --- pages and queries --------------------------------------------------------------------------


def make_in_progress(world, n: int) -> None:
    for _ in range(n):
        led_by(world, world.dept)


def test_pages_hold_25_rows(client, world, now):
    make_in_progress(world, 27)
    client.force_login(world.handler)
    first = get(client, tab="handling")
    assert len(numbers(first)) == 25
    second = get(client, tab="handling", page=2)
    assert len(numbers(second)) == 2
    assert not set(numbers(first)) & set(numbers(second))
    assert "?tab=handling&amp;page=2" in first.content.decode()
    # A page number past the end shows the last page.
    assert numbers(get(client, tab="handling", page=99)) == numbers(second)


@pytest.mark.parametrize("rows", [3, 30])
def test_the_inbox_runs_the_same_queries_for_3_or_30_rows(
    client, world, now, rows, django_assert_num_queries
):
    make_in_progress(world, rows)
    client.force_login(world.handler)
    with django_assert_num_queries(9):
        # 1 the session, 2 the user, 3 the user's unit with its parent (handler_required),
        # 4 calendar overrides for "two working days ahead",
        # 5 every tab count (one aggregate over a UNION ALL of led, proposed and co-handled rows),
        # 6 the page's rows with firm, theme and the progress flag (a correlated subquery),
        # 7 calendar overrides for the rows' working days left,
        # 8 the theme choices and 9 the jurisdiction choices of the filter form.
        response = get(client, tab="handling")
    assert len(response.context["inbox"].rows) == min(rows, 25)


@pytest.mark.parametrize("rows", [3, 30])
def test_a_filtered_inbox_adds_one_count_query(client, world, now, rows, django_assert_num_queries):
    make_in_progress(world, rows)
    client.force_login(world.handler)
    with django_assert_num_queries(11):
        # As above (9), plus 10 the chosen theme checked by the filter form and
        # 11 the count of matching rows for the pages (the tab count no longer applies).
        response = get(client, tab="handling", q="用电", theme=world.theme.pk)
    assert len(response.context["inbox"].rows) == min(rows, 25)


def test_the_due_tabs_look_at_due_dates_only_in_owed_states():
    """tab_counts brings up one by one only the led petitions in these states."""
    from petitions.selectors.handler import OWED_STATES, RULES

    for rule in RULES.values():
        if rule.due:
            assert rule.states
            assert set(rule.states) <= set(OWED_STATES)
