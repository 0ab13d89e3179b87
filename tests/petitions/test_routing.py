"""The routing catalogue (docs/rules.md §10): its page, the task force's edits through
petitions/routing.py, the defaults, and the seed_routing command; every other jurisdiction, role and
firm is refused."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.urls import reverse

from petitions import routing
from petitions.exceptions import WorkflowError
from petitions.models import OrgUnit, RoutingRule, Theme, UnitKind
from tests.factories import OrgUnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def land():
    return Theme.objects.get(code="land")


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.staff)
    return client


def rule_url(theme):
    return reverse("staff:routing_rule", args=[theme.pk])


def city_rule(world, theme, unit=None, co=(), **kw):
    rule = RoutingRule.objects.create(
        jurisdiction=world.city, theme=theme, unit=unit or world.other_dept, **kw
    )
    rule.co_units.set(co)
    return rule


# --- the list -------------------------------------------------------------------------------------


def test_the_catalogue_lists_every_theme_with_its_rule_and_override_rate(
    staff_client, world, levels, land, django_assert_max_num_queries
):
    city_rule(world, land, co=[world.district_dept], times_proposed=4, times_overridden=3)
    city_rule(world, world.theme, unit=world.dept)
    RoutingRule.objects.create(jurisdiction=world.district, theme=land, unit=world.district_dept)
    # 1 session · 2 user · 3 unit · 4 its parent · 5 rules with their units · 6 their co-handlers
    # · 7 the units that may lead here · 8 themes · 9–10 the levels the task force keeps a
    # catalogue for (its own and those it stands in for)
    with django_assert_max_num_queries(10):
        response = staff_client.get(reverse("staff:routing"))
    assert response.status_code == 200
    entries = {e.theme.code: e for e in response.context["entries"]}
    assert set(entries) == set(Theme.objects.filter(is_active=True).values_list("code", flat=True))
    assert entries["land"].rule.unit == world.other_dept  # the city's rule, not the district's
    assert entries["land"].override_rate == 75
    assert entries["financing"].override_rate is None  # never proposed yet
    assert entries["approval"].rule is None
    html = response.content.decode()
    assert world.district_dept.name in html
    assert "75%" in html
    assert rule_url(land) in html
    assert reverse("staff:routing_defaults") in html


def test_the_query_count_does_not_grow_with_the_rules(
    staff_client, world, levels, django_assert_max_num_queries
):
    for theme in Theme.objects.all():
        city_rule(world, theme, co=[world.dept, levels.zone_dept])
    with django_assert_max_num_queries(10):
        response = staff_client.get(reverse("staff:routing"))
    assert all(e.rule for e in response.context["entries"])


def test_a_rule_whose_lead_can_no_longer_lead_is_flagged(staff_client, world, land):
    city_rule(world, land)
    world.other_dept.is_active = False
    world.other_dept.save()
    response = staff_client.get(reverse("staff:routing"))
    entry = next(e for e in response.context["entries"] if e.theme == land)
    assert entry.offerable is False


def test_a_retired_theme_with_a_rule_is_still_listed(staff_client, world, land):
    city_rule(world, land)
    Theme.objects.filter(pk=land.pk).update(is_active=False)
    other = Theme.objects.get(code="talent")
    Theme.objects.filter(pk=other.pk).update(is_active=False)
    codes = [e.theme.code for e in staff_client.get(reverse("staff:routing")).context["entries"]]
    assert "land" in codes
    assert "talent" not in codes


def test_leaders_and_supervisors_read_the_catalogue_without_edit_links(client, world, land):
    city_rule(world, land)
    for user in (world.leader, world.supervisor):
        client.force_login(user)
        response = client.get(reverse("staff:routing"))
        assert response.status_code == 200
        assert response.context["keeper"] is False
        html = response.content.decode()
        assert world.other_dept.name in html
        assert rule_url(land) not in html
        assert reverse("staff:routing_defaults") not in html


def test_the_navigation_links_the_catalogue_for_the_task_force_only(client, world):
    url = f'href="{reverse("staff:routing")}"'
    client.force_login(world.staff)
    assert url in client.get(reverse("staff:home")).content.decode()
    client.force_login(world.leader)
    assert url not in client.get(reverse("staff:home")).content.decode()


def test_a_district_reads_its_own_catalogue_not_the_citys(client, world, levels, land):
    city_rule(world, land)
    district_rule = RoutingRule.objects.create(
        jurisdiction=world.district, theme=land, unit=levels.district_dept2
    )
    client.force_login(levels.district_staff)
    response = client.get(reverse("staff:routing"))
    assert response.context["jurisdiction"] == world.district
    entry = next(e for e in response.context["entries"] if e.theme == land)
    assert entry.rule == district_rule
    assert world.other_dept.name not in response.content.decode()


@pytest.mark.parametrize("who", ["handler", "district_handler", "firm_user"])
def test_handlers_and_firms_are_refused_every_catalogue_page(client, world, land, who):
    city_rule(world, land)
    client.force_login(getattr(world, who))
    assert client.get(reverse("staff:routing")).status_code == 403
    assert client.get(rule_url(land)).status_code == 403
    assert client.post(rule_url(land), {"unit": world.dept.pk}).status_code == 403
    assert client.post(rule_url(land), {"delete": "1"}).status_code == 403
    assert client.post(reverse("staff:routing_defaults")).status_code == 403
    rule = RoutingRule.objects.get(jurisdiction=world.city, theme=land)
    assert rule.unit == world.other_dept
    assert RoutingRule.objects.count() == 1


def test_an_anonymous_visitor_is_refused(client, world, land):
    assert client.get(reverse("staff:routing")).status_code in (302, 403)
    assert client.post(rule_url(land), {"unit": world.dept.pk}).status_code in (302, 403)
    assert not RoutingRule.objects.exists()


@pytest.mark.parametrize("who", ["leader", "supervisor"])
def test_leaders_and_supervisors_cannot_edit(client, world, land, who):
    city_rule(world, land)
    client.force_login(getattr(world, who))
    assert client.get(rule_url(land)).status_code == 403
    assert client.post(rule_url(land), {"unit": world.dept.pk}).status_code == 403
    assert client.post(rule_url(land), {"delete": "1"}).status_code == 403
    assert client.post(reverse("staff:routing_defaults")).status_code == 403
    assert RoutingRule.objects.get(theme=land).unit == world.other_dept


# --- one rule -------------------------------------------------------------------------------------


def test_adding_a_rule(staff_client, world, levels, land):
    response = staff_client.get(rule_url(land))
    assert response.status_code == 200
    assert response.context["rule"] is None
    response = staff_client.post(
        rule_url(land),
        {
            "unit": world.other_dept.pk,
            "co_units": [levels.stationed.pk, levels.district_dept2.pk],
            "note": " 用地指标 ",
        },
    )
    assert response["Location"] == reverse("staff:routing")
    rule = RoutingRule.objects.get(jurisdiction=world.city, theme=land)
    assert rule.unit == world.other_dept
    assert set(rule.co_units.all()) == {levels.stationed, levels.district_dept2}
    assert rule.note == "用地指标"
    assert (rule.times_proposed, rule.times_overridden) == (0, 0)
    # simple-history records who added it (and set its co-handlers)
    assert rule.history.earliest().history_type == "+"
    assert {h.history_user for h in rule.history.all()} == {world.staff}


def test_changing_a_rule_keeps_its_counters_and_records_the_change(staff_client, world, land):
    rule = city_rule(world, land, co=[world.dept], times_proposed=6, times_overridden=4)
    response = staff_client.get(rule_url(land))
    form = response.context["form"]
    assert (form.initial["unit"], form.initial["co_units"]) == (
        world.other_dept.pk,
        [world.dept.pk],
    )
    response = staff_client.post(rule_url(land), {"unit": world.dept.pk, "note": "改由工信牵头"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.unit, list(rule.co_units.all()), rule.note) == (world.dept, [], "改由工信牵头")
    assert (rule.times_proposed, rule.times_overridden) == (6, 4)
    latest = rule.history.latest()
    assert (latest.history_type, latest.history_user) == ("~", world.staff)


def test_removing_a_rule(staff_client, world, land):
    rule = city_rule(world, land)
    response = staff_client.post(rule_url(land), {"delete": "1"})
    assert response["Location"] == reverse("staff:routing")
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()
    removed = RoutingRule.history.filter(id=rule.pk).latest()
    assert (removed.history_type, removed.history_user) == ("-", world.staff)
    # removing again changes nothing and says so
    response = staff_client.post(rule_url(land), {"delete": "1"}, follow=True)
    assert response.status_code == 200
    assert list(response.context["messages"])


def test_a_lead_is_required_and_what_was_typed_is_kept(staff_client, world, land):
    response = staff_client.post(
        rule_url(land), {"unit": "", "co_units": [world.dept.pk], "note": "待定"}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "unit" in form.errors
    assert form["note"].value() == "待定"
    assert form["co_units"].value() == [str(world.dept.pk)]
    assert 'role="alert"' in response.content.decode()
    assert not RoutingRule.objects.exists()


@pytest.mark.parametrize("bad", ["foreign_dept", "task_force_unit", "leaders_unit", "city"])
def test_a_unit_that_cannot_lead_here_is_refused(staff_client, world, land, bad):
    response = staff_client.post(rule_url(land), {"unit": getattr(world, bad).pk})
    assert response.status_code == 400
    assert "unit" in response.context["form"].errors
    assert not RoutingRule.objects.exists()


def test_a_district_department_co_handles_but_does_not_lead_at_the_city(staff_client, world, land):
    response = staff_client.post(rule_url(land), {"unit": world.district_dept.pk})
    assert response.status_code == 400
    assert "unit" in response.context["form"].errors
    response = staff_client.post(
        rule_url(land), {"unit": world.district.pk, "co_units": [world.district_dept.pk]}
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get(theme=land)
    assert list(rule.co_units.all()) == [world.district_dept]


def test_bad_co_handlers_are_refused(staff_client, world, land):
    rule = city_rule(world, land, co=[world.dept])
    for co in ([world.foreign_dept.pk], [world.other_dept.pk], ["abc"]):
        response = staff_client.post(rule_url(land), {"unit": world.other_dept.pk, "co_units": co})
        assert response.status_code == 400
        assert "co_units" in response.context["form"].errors
    rule.refresh_from_db()
    assert list(rule.co_units.all()) == [world.dept]


def test_a_note_too_long_is_refused(staff_client, world, land):
    response = staff_client.post(rule_url(land), {"unit": world.dept.pk, "note": "长" * 201})
    assert response.status_code == 400
    assert "note" in response.context["form"].errors


def test_an_unknown_or_retired_theme_is_not_found(staff_client, world, land):
    assert staff_client.get(reverse("staff:routing_rule", args=[99999])).status_code == 404
    Theme.objects.filter(pk=land.pk).update(is_active=False)
    assert staff_client.get(rule_url(land)).status_code == 404
    assert staff_client.post(rule_url(land), {"unit": world.dept.pk}).status_code == 404
    assert not RoutingRule.objects.exists()


def test_a_retired_themes_rule_can_still_be_removed(staff_client, world, land):
    city_rule(world, land)
    Theme.objects.filter(pk=land.pk).update(is_active=False)
    assert staff_client.get(rule_url(land)).status_code == 200
    staff_client.post(rule_url(land), {"delete": "1"})
    assert not RoutingRule.objects.exists()


def test_another_citys_task_force_keeps_only_its_own_catalogue(client, world, land):
    rule = city_rule(world, land)
    client.force_login(world.foreign_staff)
    # its page shows its own (empty) catalogue
    response = client.get(reverse("staff:routing"))
    assert response.context["jurisdiction"] == world.other_city
    assert world.other_dept.name not in response.content.decode()
    # posting the city's unit is refused; deleting touches only its own (absent) rule
    response = client.post(rule_url(land), {"unit": world.other_dept.pk})
    assert response.status_code == 400
    assert "unit" in response.context["form"].errors
    client.post(rule_url(land), {"delete": "1"})
    rule.refresh_from_db()
    assert rule.unit == world.other_dept
    # its own unit makes a rule of its own jurisdiction
    client.post(rule_url(land), {"unit": world.foreign_dept.pk})
    assert RoutingRule.objects.get(jurisdiction=world.other_city).unit == world.foreign_dept
    assert RoutingRule.objects.get(jurisdiction=world.city) == rule


def test_a_districts_task_force_cannot_touch_the_citys_rule(client, world, levels, land):
    rule = city_rule(world, land)
    client.force_login(levels.district_staff)
    response = client.post(rule_url(land), {"unit": world.dept.pk})
    assert response.status_code == 400
    client.post(rule_url(land), {"delete": "1"})
    assert RoutingRule.objects.get(pk=rule.pk).unit == world.other_dept
    response = client.post(rule_url(land), {"unit": levels.district_dept2.pk})
    assert response.status_code == 302
    assert RoutingRule.objects.get(jurisdiction=world.district).unit == levels.district_dept2


# --- the services -----------------------------------------------------------------------------------


def test_only_the_jurisdictions_task_force_may_write(world, levels, land):
    for actor in (world.leader, world.handler, world.foreign_staff, levels.district_staff):
        with pytest.raises(PermissionDenied):
            routing.save_rule(actor=actor, jurisdiction=world.city, theme=land, unit=world.dept)
        with pytest.raises(PermissionDenied):
            routing.delete_rule(actor=actor, jurisdiction=world.city, theme=land)
        with pytest.raises(PermissionDenied):
            routing.fill_defaults(actor=actor, jurisdiction=world.city)
    assert not RoutingRule.objects.exists()


def test_the_service_checks_the_units_itself(world, levels, land):
    with pytest.raises(WorkflowError) as lead:
        routing.save_rule(
            actor=world.staff, jurisdiction=world.city, theme=land, unit=world.district_dept
        )
    assert lead.value.code == "bad_unit"
    with pytest.raises(WorkflowError) as co:
        routing.save_rule(
            actor=world.staff,
            jurisdiction=world.city,
            theme=land,
            unit=world.dept,
            co_units=[world.foreign_dept],
        )
    assert co.value.code == "bad_co_unit"
    with pytest.raises(WorkflowError):
        routing.save_rule(
            actor=world.staff,
            jurisdiction=world.city,
            theme=land,
            unit=world.dept,
            co_units=[world.dept],
        )
    assert not RoutingRule.objects.exists()


def test_saving_twice_keeps_one_rule_per_theme(world, land):
    first = routing.save_rule(
        actor=world.staff, jurisdiction=world.city, theme=land, unit=world.dept
    )
    second = routing.save_rule(
        actor=world.staff, jurisdiction=world.city, theme=land, unit=world.other_dept
    )
    assert first.pk == second.pk
    assert RoutingRule.objects.get().unit == world.other_dept


# --- the defaults -----------------------------------------------------------------------------------


@pytest.fixture
def departments(world):
    """City departments whose names match the defaults (市自然资源局 and 市工业和信息化局 are in world)."""
    return {
        "finance": OrgUnitFactory(name="市财政局", parent=world.city),
        "approval": OrgUnitFactory(name="市政务服务数据管理局", parent=world.city),
        "housing": OrgUnitFactory(name="市住房和城乡建设局", parent=world.city),
    }


def test_filling_the_defaults_adds_rules_and_leaves_existing_ones(
    staff_client, world, departments, land
):
    mine = city_rule(world, land, unit=world.dept, note="专班自定")
    response = staff_client.post(reverse("staff:routing_defaults"), follow=True)
    assert response.status_code == 200
    added = RoutingRule.objects.filter(jurisdiction=world.city).exclude(pk=mine.pk)
    assert added.exists()
    messages = [str(m) for m in response.context["messages"]]
    assert any(str(added.count()) in m for m in messages)
    mine.refresh_from_db()
    assert (mine.unit, mine.note) == (world.dept, "专班自定")
    approval = RoutingRule.objects.get(jurisdiction=world.city, theme__code="approval")
    assert approval.unit == departments["approval"]
    arrears = RoutingRule.objects.get(jurisdiction=world.city, theme__code="arrears")
    assert (arrears.unit, list(arrears.co_units.all())) == (world.dept, [departments["finance"]])

    # again: nothing added, nothing changed
    before = list(RoutingRule.objects.order_by("pk").values_list("pk", "unit_id"))
    response = staff_client.post(reverse("staff:routing_defaults"), follow=True)
    assert list(RoutingRule.objects.order_by("pk").values_list("pk", "unit_id")) == before
    assert list(response.context["messages"])


def test_defaults_only_fill_the_users_own_jurisdiction(client, world, levels, departments):
    client.force_login(levels.district_staff)
    client.post(reverse("staff:routing_defaults"))
    assert not RoutingRule.objects.filter(jurisdiction=world.city).exists()
    # 龙湖区自然资源分局 matches 自然资源
    rule = RoutingRule.objects.get(jurisdiction=world.district, theme__code="land")
    assert rule.unit == levels.district_dept2


def test_the_defaults_button_only_posts(staff_client):
    assert staff_client.get(reverse("staff:routing_defaults")).status_code == 405
    assert not RoutingRule.objects.exists()


# --- the command --------------------------------------------------------------------------------------


def seed(*args):
    out = StringIO()
    call_command("seed_routing", *args, stdout=out)
    return out.getvalue()


def test_the_command_seeds_every_active_jurisdiction_once(world, levels, departments):
    retired = OrgUnitFactory(
        name="旧开发区", kind=UnitKind.ZONE, parent=world.city, is_active=False
    )
    OrgUnitFactory(name="旧开发区自然资源局", parent=retired)
    out = seed()
    assert f"{world.city.name}: " in out
    assert f"{world.district.name}: " in out
    assert f"{levels.zone.name}: " in out
    assert "旧开发区" not in out
    assert f"{departments['approval'].name}" in out
    assert not RoutingRule.objects.filter(jurisdiction=retired).exists()
    assert RoutingRule.objects.get(jurisdiction=world.district, theme__code="land").unit == (
        levels.district_dept2
    )
    count = RoutingRule.objects.count()
    assert count > 0

    again = seed()
    assert RoutingRule.objects.count() == count
    assert "0 rule(s) added in" in again


def test_the_command_seeds_one_jurisdiction_by_name(world, levels, departments):
    out = seed("--jurisdiction", world.district.name)
    assert set(RoutingRule.objects.values_list("jurisdiction", flat=True)) == {world.district.pk}
    # 龙湖区市场监管局 leads 个转企 and 涉企执法检查, 龙湖区自然资源分局 用地
    assert out.startswith(f"{world.district.name}: 3 rule(s) added")
    assert f"用地 → {levels.district_dept2.name}" in out


def test_the_command_refuses_an_unknown_or_ambiguous_name(world):
    with pytest.raises(CommandError):
        seed("--jurisdiction", "不存在区")
    OrgUnit.objects.create(
        name=world.district.name, kind=UnitKind.DISTRICT, parent=world.other_city
    )
    with pytest.raises(CommandError):
        seed("--jurisdiction", world.district.name)
    assert not RoutingRule.objects.exists()


# --- a level the task force stands in for (docs/rules.md §1) ---------------------------------------


def test_the_city_keeps_the_catalogue_of_a_zone_it_stands_in_for(staff_client, world, levels, land):
    levels.zone_land = OrgUnitFactory(name="高新区自然资源分局", parent=levels.zone)
    url = rule_url(land) + f"?level={levels.zone.pk}"
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"unit": levels.zone_land.pk, "note": "高新区用地"})
    assert response.status_code == 302
    assert response.url == reverse("staff:routing") + f"?level={levels.zone.pk}"
    assert RoutingRule.objects.get(jurisdiction=levels.zone, theme=land).unit == levels.zone_land
    page = staff_client.get(reverse("staff:routing") + f"?level={levels.zone.pk}")
    assert page.context["jurisdiction"] == levels.zone
    assert {u.pk for u in page.context["levels"]} == {world.city.pk, levels.zone.pk}
    # A city unit cannot lead the zone's cases.
    response = staff_client.post(url, {"unit": world.other_dept.pk})
    assert response.status_code == 400


def test_not_a_level_that_runs_itself_or_another_citys(client, world, levels, land):
    client.force_login(world.staff)
    for level in (world.district.pk, world.other_city.pk, "x", 987654):
        url = rule_url(land) + f"?level={level}"
        assert client.get(url).status_code == 404, level
        assert client.post(url, {"unit": world.district_dept.pk}).status_code == 404
    client.force_login(world.leader)
    assert client.get(reverse("staff:routing") + f"?level={levels.zone.pk}").status_code == 404
    client.force_login(levels.district_staff)
    assert client.get(reverse("staff:routing") + f"?level={levels.zone.pk}").status_code == 404
    assert not RoutingRule.objects.exists()


@pytest.mark.parametrize("level", ["²", "٣", "-1", " 1"])
def test_a_level_that_is_not_a_plain_number_is_not_found(staff_client, world, levels, land, level):
    assert staff_client.get(reverse("staff:routing"), {"level": level}).status_code == 404
    assert staff_client.get(rule_url(land), {"level": level}).status_code == 404


def test_a_nul_byte_in_the_level_is_no_server_error(staff_client, world, levels, land):
    # The sanitising middleware drops the NUL before the view sees it (zqztc/sanitize.py).
    for url in (reverse("staff:routing"), rule_url(land)):
        assert staff_client.get(url, {"level": "9\x009"}).status_code in (200, 400, 404)
