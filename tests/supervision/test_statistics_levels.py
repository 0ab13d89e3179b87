"""Statistics, reports and supervision by level (docs/rules.md §1, §7): the city reads its districts'
figures rolled up, one row per level, and acts on none of their supervision; a district sees its own
level and what it passed up; another district sees nothing of it."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from io import BytesIO
from types import SimpleNamespace

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from petitions import workflow
from petitions.models import (
    Channel,
    Enterprise,
    OrgUnit,
    Petition,
    PetitionType,
    Rating,
    Role,
    UnitKind,
    User,
)
from supervision import acting, selectors
from supervision import workflow as supervision_workflow
from supervision.models import KeyFollowUp, KeyStatus, KeySupervision, SupervisionPolicy
from supervision.sweep import run_monthly_sweep
from tests.factories import EnterpriseFactory, OrgUnitFactory, firm_user, member
from tests.supervision.test_selectors import MONDAY, at, handled, travel

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 26)
ON_TIME = date(2026, 11, 4)  # a complaint assigned on Mon 2 Nov is due Thu 5 Nov


def zh(msgid: str) -> str:
    """A page's text as the site shows it (Chinese by default)."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(msgid)


@dataclass
class Tiers:
    """Beside the `levels` fixture: the district's supervision office and firm, the zone's firm and
    handler (the zone has no staff of its own: the city stands in), and another district with its
    own task force and supervision office."""

    district_supervisor: User
    district_firm: Enterprise
    district_owner: User
    zone_firm: Enterprise
    zone_owner: User
    zone_handler: User
    other_district: OrgUnit
    other_staff: User
    other_supervisor: User


@pytest.fixture
def clock():
    with time_machine.travel(at(TODAY), tick=False):
        yield


@pytest.fixture
def tiers(world, levels) -> Tiers:
    district_office = OrgUnitFactory(
        name="龙湖区督查室", kind=UnitKind.SUPERVISION, parent=world.district
    )
    other = OrgUnitFactory(name="金平区", kind=UnitKind.DISTRICT, parent=world.city)
    other_tf = OrgUnitFactory(name="金平区工作专班", kind=UnitKind.TASK_FORCE, parent=other)
    other_office = OrgUnitFactory(name="金平区督查室", kind=UnitKind.SUPERVISION, parent=other)
    district_firm = EnterpriseFactory(jurisdiction=world.district)
    zone_firm = EnterpriseFactory(jurisdiction=levels.zone)
    return Tiers(
        district_supervisor=member(district_office, Role.SUPERVISOR, username="district_sup"),
        district_firm=district_firm,
        district_owner=firm_user(district_firm, username="district_firm"),
        zone_firm=zone_firm,
        zone_owner=firm_user(zone_firm, username="zone_firm"),
        zone_handler=member(levels.zone_dept, Role.HANDLER, username="zone_handler"),
        other_district=other,
        other_staff=member(other_tf, Role.TASK_FORCE, username="other_staff"),
        other_supervisor=member(other_office, Role.SUPERVISOR, username="other_sup"),
    )


def handled_at(
    *,
    firm: Enterprise,
    owner: User,
    staff: User,
    unit: OrgUnit,
    handler: User,
    theme_id: int,
    reply_on: date | None = None,
    rating: str | None = None,
) -> Petition:
    """A petition of `firm`'s level, run by `staff`: accepted and proposed on Monday 2 November,
    confirmed and assigned the same day, replied on `reply_on` and rated that afternoon."""
    with travel(MONDAY):
        p = workflow.register(
            actor=owner,
            enterprise=firm,
            channel=Channel.PORTAL,
            type=PetitionType.COMPLAINT,
            title="厂区道路迟迟未移交",
            content="园区道路建成一年仍未移交，企业车辆无法通行。",
            theme_id=theme_id,
        )
        workflow.accept(petition_id=p.pk, actor=staff)
        workflow.propose(petition_id=p.pk, actor=staff, unit=unit)
    with travel(MONDAY, 11):
        workflow.confirm(petition_id=p.pk, actor=handler)
        workflow.issue_transfer_letter(petition_id=p.pk, actor=staff)
        workflow.record_contact(
            petition_id=p.pk,
            actor=handler,
            contacted_at=timezone.now(),
            method="phone",
            summary="电话联系企业。",
        )
    if reply_on:
        with travel(reply_on):
            workflow.reply(petition_id=p.pk, actor=handler, text="已协调办结。")
    if rating:
        with travel(reply_on, 15):
            workflow.evaluate(petition_id=p.pk, actor=owner, rating=rating)
    return Petition.objects.get(pk=p.pk)


def in_district(world, levels, tiers, **kw) -> Petition:
    return handled_at(
        firm=tiers.district_firm,
        owner=tiers.district_owner,
        staff=levels.district_staff,
        unit=world.district_dept,
        handler=world.district_handler,
        theme_id=world.theme.pk,
        **kw,
    )


def in_zone(world, levels, tiers, **kw) -> Petition:
    return handled_at(
        firm=tiers.zone_firm,
        owner=tiers.zone_owner,
        staff=world.staff,  # the zone has no task force: the city's stands in
        unit=levels.zone_dept,
        handler=tiers.zone_handler,
        theme_id=world.theme.pk,
        **kw,
    )


def passed_up(world, levels, tiers) -> Petition:
    """A district petition the district passes up; the city assigns it to its own department."""
    with travel(MONDAY, 9):
        p = workflow.register(
            actor=tiers.district_owner,
            enterprise=tiers.district_firm,
            channel=Channel.PORTAL,
            type=PetitionType.COMPLAINT,
            title="跨区用地指标协调",
            content="需要市级部门协调用地指标。",
            theme_id=world.theme.pk,
        )
        workflow.accept(petition_id=p.pk, actor=levels.district_staff)
        workflow.pass_up(petition_id=p.pk, actor=levels.district_staff, reason="区级无法协调")
        workflow.accept(petition_id=p.pk, actor=world.staff)
        workflow.propose(petition_id=p.pk, actor=world.staff, unit=world.dept)
        workflow.confirm(petition_id=p.pk, actor=world.handler)
        workflow.issue_transfer_letter(petition_id=p.pk, actor=world.staff)
        workflow.record_contact(
            petition_id=p.pk,
            actor=world.handler,
            contacted_at=timezone.now(),
            method="phone",
            summary="电话联系企业。",
        )
    return Petition.objects.get(pk=p.pk)


@pytest.fixture
def figures(world, levels, tiers, clock):
    """City: one on time and satisfied, one late and open, one passed up by the district (open,
    late). District: one on time and basically satisfied, one late and open. Zone: one on time and
    satisfied. Swept on 25 November: the late open ones are proposed for key supervision."""
    ns = SimpleNamespace(
        city_done=handled(world, reply_on=ON_TIME, rating=Rating.SATISFIED),
        city_late=handled(world),
        up=passed_up(world, levels, tiers),
        district_done=in_district(
            world, levels, tiers, reply_on=ON_TIME, rating=Rating.BASICALLY_SATISFIED
        ),
        district_late=in_district(world, levels, tiers),
        zone_done=in_zone(world, levels, tiers, reply_on=ON_TIME, rating=Rating.SATISFIED),
    )
    ns.sweep = run_monthly_sweep(date(2026, 11, 25))
    ns.district_key = KeySupervision.objects.get(petition=ns.district_late)
    ns.city_key = KeySupervision.objects.get(petition=ns.city_late)
    return ns


def rows(levels_rows) -> dict[str, tuple]:
    return {
        r.unit: (
            r.received,
            r.confirm_on_time,
            r.confirm_total,
            r.conclude_on_time,
            r.conclude_total,
            r.evaluations,
            r.satisfaction_rate,
        )
        for r in levels_rows
    }


def statistics_of(client, user, params: dict | None = None):
    client.force_login(user)
    response = client.get(reverse("supervision:statistics"), params or {})
    assert response.status_code == 200
    return response


# --- the roll-up --------------------------------------------------------------------------------------


def test_the_city_reads_one_row_per_level_and_a_total(client, world, levels, figures):
    stats = statistics_of(client, world.staff).context["stats"]
    assert [(r.unit, r.own) for r in stats.levels] == [
        (world.city.name, True),
        ("金平区", False),  # districts, then zones, each by name
        (world.district.name, False),
        (levels.zone.name, False),
    ]
    assert rows(stats.levels) == {
        # The passed-up case counts at the city, where it is now.
        world.city.name: (3, 3, 3, 1, 1, 1, Decimal("100.0")),
        world.district.name: (2, 2, 2, 1, 1, 1, Decimal("80.0")),
        "金平区": (0, 0, 0, 0, 0, 0, None),
        levels.zone.name: (1, 1, 1, 1, 1, 1, Decimal("100.0")),
    }
    total = stats.levels_total
    assert (total.received, total.confirm_total, total.conclude_total) == (6, 6, 3)
    assert total.satisfaction_rate == Decimal("93.3")  # (1 + 0.8 + 1) / 3
    # The roll-up adds up to the same figures as the page's other tables.
    assert total.received == stats.total == stats.overall.received
    assert total.satisfaction_rate == stats.overall.satisfaction_rate


def test_the_roll_up_is_shown_with_links_to_each_level(client, world, levels, figures):
    html = statistics_of(client, world.supervisor).content.decode()
    assert 'id="levels-heading"' in html
    assert zh("%(name)s (own level)") % {"name": world.city.name} in html
    assert f"jurisdiction={world.district.pk}" in html
    assert "own_level=on" in html
    assert 'id="passed-on-heading"' not in html  # the city passed nothing up


def test_the_city_looks_at_one_level_only(client, world, levels, figures):
    own = statistics_of(
        client,
        world.leader,
        {"start": "2026-01", "end": "2026-11", "jurisdiction": world.city.pk, "own_level": "on"},
    ).context
    assert own["stats"].total == 3
    assert own["stats"].levels == []
    assert own["own_level"] is True
    district = statistics_of(
        client,
        world.leader,
        {"start": "2026-01", "end": "2026-11", "jurisdiction": world.district.pk},
    ).context
    assert district["where"] == world.district
    assert district["stats"].total == 2
    assert {r.unit for r in district["stats"].rates} == {world.district_dept.name}


def test_a_district_sees_its_own_level_and_what_it_passed_up(client, world, levels, tiers, figures):
    for user in (levels.district_staff, tiers.district_supervisor, levels.district_leader):
        context = statistics_of(client, user).context
        assert context["stats"].levels == []
        assert context["stats"].total == 2
        assert {r.unit for r in context["stats"].rates} == {world.district_dept.name}
        assert [p.pk for p in context["passed_on"]] == [figures.up.pk]
    html = statistics_of(client, tiers.district_supervisor).content.decode()
    assert 'id="levels-heading"' not in html
    assert figures.up.number in html
    assert zh("passed up") in html
    assert world.city.name in html


def test_another_district_sees_nothing_of_this_one(client, world, levels, tiers, figures):
    context = statistics_of(client, tiers.other_supervisor).context
    assert context["stats"].total == 0
    assert context["stats"].levels == []
    assert context["passed_on"] == []
    client.force_login(tiers.other_staff)
    response = client.get(
        reverse("supervision:statistics"),
        {"start": "2026-01", "end": "2026-11", "jurisdiction": world.district.pk},
    )
    assert response.status_code == 400
    assert "stats" not in response.context


def test_the_roll_up_selector_without_levels_is_unchanged(world, levels, tiers, figures):
    visible = Petition.objects.visible_to(world.staff)
    period = selectors.Period.last_months(TODAY)
    plain = selectors.statistics(visible, period, SupervisionPolicy())
    assert plain.levels == []
    assert plain.level_of == {}
    own = selectors.statistics(
        visible.filter(jurisdiction=world.city),
        period,
        SupervisionPolicy(),
        levels=selectors.Levels(world.city, [world.city.pk]),
    )
    assert own.levels == []
    assert own.total == 3


def test_a_level_below_a_district_counts_in_the_districts_row(world, levels, tiers, figures):
    # A zone under the district (e.g. a park the district runs) is rolled into the district's row.
    park = OrgUnitFactory(name="龙湖区工业园", kind=UnitKind.ZONE, parent=world.district)
    units = OrgUnit.objects.in_bulk(
        [world.city.pk, world.district.pk, park.pk, levels.zone.pk, world.dept.pk]
    )
    order, row_of = selectors.level_map(world.city, units)
    assert [u.pk for u in order] == [world.city.pk, world.district.pk, levels.zone.pk]
    assert row_of[park.pk] == world.district.pk
    assert row_of[world.city.pk] == world.city.pk
    assert world.dept.pk not in row_of  # a department is not a level


# --- query counts ---------------------------------------------------------------------------------------


def _count(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


def more_levels(world, levels, tiers) -> None:
    """Two more levels with petitions, and more petitions in each level."""
    for name, kind in (("濠江区", UnitKind.DISTRICT), ("华侨试验区", UnitKind.ZONE)):
        level = OrgUnitFactory(name=name, kind=kind, parent=world.city)
        firm = EnterpriseFactory(jurisdiction=level)
        dept = OrgUnitFactory(name=f"{name}工信局", parent=level)
        handled_at(
            firm=firm,
            owner=firm_user(firm),
            staff=world.staff,
            unit=dept,
            handler=member(dept, Role.HANDLER),
            theme_id=world.theme.pk,
            reply_on=ON_TIME,
            rating=Rating.SATISFIED,
        )
    in_district(world, levels, tiers, reply_on=ON_TIME, rating=Rating.SATISFIED)
    in_zone(world, levels, tiers)
    handled(world, unit=world.other_dept, handler=world.other_handler)


def test_the_roll_up_costs_no_query_per_level(
    client, world, levels, tiers, figures, django_assert_num_queries
):
    url = reverse("supervision:statistics")
    client.force_login(world.staff)
    few = _count(client, url)
    more_levels(world, levels, tiers)
    assert _count(client, url) == few
    assert len(statistics_of(client, world.staff).context["stats"].levels) == 6
    # As without levels (test_views): session, user, unit, its jurisdiction, the levels under it
    # (twice: the scope and visible_to), the policy (two), volumes by place and theme, by channel
    # and type, unit and level names (every level of the roll-up with its parent, one query),
    # theme names, deadline rates and evaluations (grouped by unit and level together), and the
    # levels of the form's select.
    client.force_login(world.staff)
    with django_assert_num_queries(few):
        client.get(url)
    assert few == 17


def test_a_districts_page_costs_the_same_queries_however_much_it_passed_up(
    client, world, levels, tiers, figures, django_assert_num_queries
):
    url = reverse("supervision:statistics")
    client.force_login(tiers.district_supervisor)
    few = _count(client, url)
    more_levels(world, levels, tiers)
    passed_up(world, levels, tiers)
    with django_assert_num_queries(few):
        response = client.get(url)
    assert len(response.context["passed_on"]) == 2
    # Session, user, unit, its district, the levels under it (none: one query each for the scope
    # and visible_to), the city (the policy's chain) and the policy (two), the six statistics
    # queries, what it passed up (one query), and the form's select.
    assert few == 17


def test_the_reports_cost_no_query_per_level(client, world, levels, tiers, figures):
    client.force_login(world.supervisor)
    urls = [
        reverse("supervision:monthly_report", args=[2026, 11]),
        reverse("supervision:quarterly_report_xlsx", args=[2026, 4]),
    ]
    few = [_count(client, url) for url in urls]
    more_levels(world, levels, tiers)
    assert [_count(client, url) for url in urls] == few


def test_the_sweep_roll_up_costs_no_query_per_level(client, world, levels, tiers, figures):
    client.force_login(world.supervisor)
    url = reverse("supervision:sweep", args=[figures.sweep.pk])
    few = _count(client, url)
    for name in ("濠江区", "潮阳区", "潮南区"):
        OrgUnitFactory(name=name, kind=UnitKind.DISTRICT, parent=world.city)
    assert _count(client, url) == few


# --- reports ----------------------------------------------------------------------------------------------


def test_the_monthly_report_counts_each_level(client, world, levels, tiers, figures):
    client.force_login(world.supervisor)
    report = client.get(reverse("supervision:monthly_report", args=[2026, 11])).context["report"]
    counts = {
        r.unit: (r.received, r.accepted, r.concluded, r.overdue) for r in report.statistics.levels
    }
    assert counts == {
        world.city.name: (3, 3, 1, 2),
        world.district.name: (2, 2, 1, 1),
        "金平区": (0, 0, 0, 0),
        levels.zone.name: (1, 1, 1, 0),
    }
    total = report.statistics.levels_total
    assert (total.received, total.accepted, total.concluded, total.overdue) == (6, 6, 3, 3)
    assert (report.received, report.accepted, report.concluded, report.overdue) == (6, 6, 3, 3)
    assert report.passed_on == []


def test_the_districts_report_excludes_and_lists_what_it_passed_up(
    client, world, levels, tiers, figures
):
    supervision_workflow.decide(
        key_id=figures.district_key.pk, actor=levels.district_leader, approve=True
    )
    up_key = KeySupervision.objects.get(petition=figures.up)
    supervision_workflow.decide(key_id=up_key.pk, actor=world.leader, approve=True)
    client.force_login(levels.district_leader)
    response = client.get(reverse("supervision:monthly_report", args=[2026, 11]))
    report = response.context["report"]
    assert report.statistics.levels == []
    assert (report.received, report.overdue) == (2, 1)
    assert [p.pk for p in report.passed_on] == [figures.up.pk]
    # Its key list is its own level's: the passed-up case is the city's to supervise.
    assert [k.petition_id for k in report.keys] == [figures.district_late.pk]
    assert figures.up.number in response.content.decode()


def test_a_report_for_one_level_only(client, world, levels, tiers, figures):
    client.force_login(world.staff)
    url = reverse("supervision:monthly_report", args=[2026, 11])
    response = client.get(url, {"jurisdiction": world.district.pk, "own_level": "on"})
    report = response.context["report"]
    assert response.context["jurisdiction"] == world.district
    assert (report.received, report.concluded) == (2, 1)
    assert report.statistics.levels == []
    html = response.content.decode()
    assert f"report.xlsx?jurisdiction={world.district.pk}&amp;own_level=on" in html


def test_another_districts_report_is_a_404(client, world, levels, tiers, figures):
    client.force_login(tiers.other_supervisor)
    for name in ("monthly_report", "monthly_report_xlsx", "monthly_report_pdf"):
        url = reverse(f"supervision:{name}", args=[2026, 11])
        assert client.get(url, {"jurisdiction": world.district.pk}).status_code == 404
    own = client.get(reverse("supervision:monthly_report", args=[2026, 11])).context["report"]
    assert (own.received, own.keys, own.passed_on) == (0, [], [])


def test_the_reports_page_offers_the_levels_to_the_city_only(client, world, levels, tiers, figures):
    client.force_login(world.staff)
    response = client.get(
        reverse("supervision:reports"), {"jurisdiction": levels.zone.pk, "own_level": "on"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="own_level"' in html
    assert f"/reports/2026/11/report.pdf?jurisdiction={levels.zone.pk}&amp;own_level=on" in html
    client.force_login(tiers.other_staff)
    assert 'name="own_level"' not in client.get(reverse("supervision:reports")).content.decode()
    response = client.get(reverse("supervision:reports"), {"jurisdiction": world.district.pk})
    assert response.status_code == 400
    assert f"?jurisdiction={world.district.pk}" not in response.content.decode()


def sheet_rows(response, name: str) -> list[tuple]:
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.content))
    return [tuple(row) for row in book[name].iter_rows(values_only=True)]


def test_the_report_workbook_has_the_roll_up(client, world, levels, tiers, figures):
    client.force_login(world.supervisor)
    response = client.get(reverse("supervision:monthly_report_xlsx", args=[2026, 11]))
    found = sheet_rows(response, "分级汇总")
    assert found[0][:5] == ("层级", "收件数", "受理数", "办结数", "超期件数")
    by_level = {row[0]: row[1:5] for row in found[1:]}
    assert by_level == {
        f"{world.city.name}（本级）": (3, 3, 1, 2),
        world.district.name: (2, 2, 1, 1),
        "金平区": (0, 0, 0, 0),
        levels.zone.name: (1, 1, 1, 0),
        "合计": (6, 6, 3, 3),
    }
    assert found[-1][-1] == pytest.approx(93.3)
    assert "上交上级" not in load_workbook(BytesIO(response.content)).sheetnames


def test_the_districts_workbook_lists_what_it_passed_up(client, world, levels, tiers, figures):
    client.force_login(tiers.district_supervisor)
    response = client.get(reverse("supervision:monthly_report_xlsx", args=[2026, 11]))
    book = load_workbook(BytesIO(response.content))
    assert "分级汇总" not in book.sheetnames
    passed = sheet_rows(response, "上交上级")
    assert passed[1][:4] == (
        figures.up.number,
        figures.up.title,
        tiers.district_firm.name,
        world.city.name,
    )


# --- supervision: sweeps and key items ------------------------------------------------------------------


def test_the_sweep_rolls_up_by_level_for_the_city(client, world, levels, tiers, figures):
    client.force_login(world.supervisor)
    url = reverse("supervision:sweep", args=[figures.sweep.pk])
    context = client.get(url).context
    lines = {
        line.unit: (line.items, line.overdue, line.proposed) for line in context["level_lines"]
    }
    assert lines == {
        zh("%(name)s (own level)") % {"name": world.city.name}: (2, 2, 2),
        world.district.name: (1, 1, 1),
        "金平区": (0, 0, 0),
        levels.zone.name: (0, 0, 0),
    }
    assert context["level_total"].items == context["total"].items == 3
    one = client.get(url, {"jurisdiction": world.district.pk}).context
    assert [item.petition_id for item in one["page"].object_list] == [figures.district_late.pk]


def test_a_district_sweeps_its_own_level_and_another_district_gets_a_404(
    client, world, levels, tiers, figures
):
    client.force_login(tiers.district_supervisor)
    url = reverse("supervision:sweep", args=[figures.sweep.pk])
    context = client.get(url).context
    assert context["level_lines"] == []
    # The passed-up case is swept where it is now: at the city.
    assert [item.petition_id for item in context["page"].object_list] == [figures.district_late.pk]
    assert 'name="jurisdiction"' not in client.get(url).content.decode()
    client.force_login(tiers.other_supervisor)
    for name in ("sweep", "notice", "notice_xlsx"):
        assert (
            client.get(reverse(f"supervision:{name}", args=[figures.sweep.pk])).status_code == 404
        )
    assert client.get(reverse("supervision:key", args=[figures.district_key.pk])).status_code == 404


def test_each_level_acts_on_its_own_keys_and_the_city_only_reads_the_districts(
    client, world, levels, tiers, figures
):
    key = figures.district_key
    assert acting.acting_ids(world.supervisor) == {world.city.pk, levels.zone.pk}
    assert acting.acting_ids(tiers.district_supervisor) == {world.district.pk}
    # The city's leader reads the district's proposal but may not decide it.
    client.force_login(world.leader)
    page = client.get(reverse("supervision:key", args=[key.pk]))
    assert page.status_code == 200
    assert page.context["decision_form"] is None
    assert page.context["read_only"] is True
    assert (
        html.escape(
            zh("%(level)s supervises this item: you can read it but not act on it.")
            % {"level": world.district.name}
        )
        in page.content.decode()
    )
    decide = reverse("supervision:key_decide", args=[key.pk])
    assert client.post(decide, {"decision": "approve"}).status_code == 403
    with pytest.raises(PermissionDenied):
        supervision_workflow.decide(key_id=key.pk, actor=world.leader, approve=True)
    assert KeySupervision.objects.get(pk=key.pk).status == KeyStatus.PROPOSED
    # The district's leader decides it.
    client.force_login(levels.district_leader)
    assert client.get(reverse("supervision:key", args=[key.pk])).context["decision_form"]
    assert client.post(decide, {"decision": "approve"}).status_code == 302
    assert KeySupervision.objects.get(pk=key.pk).status == KeyStatus.APPROVED
    # Follow-ups: the district's supervision office and task force, not the city's.
    follow = reverse("supervision:key_follow_up", args=[key.pk])
    for reader in (world.supervisor, world.staff):
        client.force_login(reader)
        assert (
            client.get(reverse("supervision:key", args=[key.pk])).context["follow_up_form"] is None
        )
        assert client.post(follow, {"text": "市级督促"}).status_code == 403
    for district in (tiers.district_supervisor, levels.district_staff):
        client.force_login(district)
        assert client.post(follow, {"text": "区督查室电话督促"}).status_code == 302
    assert KeyFollowUp.objects.filter(key=key).count() == 2
    # Another district may not even see it.
    client.force_login(tiers.other_supervisor)
    assert client.post(follow, {"text": "x"}).status_code == 404


def test_the_city_acts_on_its_own_keys_and_stands_in_for_a_level_without_staff(
    world, levels, tiers, figures
):
    city_key = figures.city_key
    supervision_workflow.decide(key_id=city_key.pk, actor=world.leader, approve=True)
    supervision_workflow.follow_up(key_id=city_key.pk, actor=world.supervisor, text="督促")
    with pytest.raises(PermissionDenied):
        supervision_workflow.decide(key_id=city_key.pk, actor=levels.district_leader, approve=True)
    with pytest.raises(PermissionDenied):
        supervision_workflow.follow_up(
            key_id=city_key.pk, actor=tiers.district_supervisor, text="x"
        )
    # The zone has no leader or supervision office: the city's act for it.
    assert acting.acts_on(world.leader, figures.zone_done)
    assert acting.acts_on(world.supervisor, figures.zone_done)
    assert not acting.acts_on(world.leader, figures.district_late)
    assert not acting.acts_on(world.handler, figures.city_late)


def test_the_key_list_names_the_level_and_marks_what_the_city_only_reads(
    client, world, levels, tiers, figures
):
    client.force_login(world.supervisor)
    response = client.get(reverse("supervision:keys"), {"status": "proposed"})
    html = response.content.decode()
    assert response.context["acting"] == {world.city.pk, levels.zone.pk}
    assert world.district.name in html
    assert html.count(zh("read only")) == 1  # the district's item, not the city's two
    client.force_login(tiers.other_supervisor)
    response = client.get(reverse("supervision:keys"), {"status": "proposed"})
    assert list(response.context["page"].object_list) == []


@pytest.mark.parametrize("value", ["abc", "-1", "99999999", "1' OR '1'='1", "NUL+other city"])
def test_hostile_level_choices_are_refused_not_errors(client, world, levels, tiers, figures, value):
    if value == "NUL+other city":
        # zqztc/sanitize.py drops the NUL: the other city's id arrives, not a level of ours.
        value = f"\x00{world.other_city.pk}"
    client.force_login(world.staff)
    period = {"start": "2026-01", "end": "2026-11"}
    statistics = client.get(
        reverse("supervision:statistics"), {**period, "jurisdiction": value, "own_level": value}
    )
    assert statistics.status_code == 400
    assert statistics.context["form"].errors["jurisdiction"]
    report = reverse("supervision:monthly_report", args=[2026, 11])
    assert client.get(report, {"jurisdiction": value}).status_code == 404
    assert client.get(reverse("supervision:reports"), {"jurisdiction": value}).status_code == 400
    sweep = reverse("supervision:sweep", args=[figures.sweep.pk])
    assert client.get(sweep, {"jurisdiction": value}).status_code == 400
