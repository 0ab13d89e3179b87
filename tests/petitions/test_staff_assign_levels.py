"""The assignment page at every level (docs/rules.md §1, §10): who may lead and co-handle, grouped by
where they sit; the routing catalogue's proposal with why; the counters of taken and overridden
proposals; a returned case whose competent unit sits at another level."""

from __future__ import annotations

import pytest
from django.urls import reverse

from petitions import workflow
from petitions.models import Channel, Petition, PetitionType, ReturnReason, RoutingRule, State
from tests.factories import EnterpriseFactory, firm_user
from tests.petitions import flow

pytestmark = pytest.mark.django_db


def petition_of(world, jurisdiction, *, theme=None):
    """A petition filed by a firm registered in `jurisdiction`, so it starts there."""
    firm = EnterpriseFactory(jurisdiction=jurisdiction)
    return workflow.register(
        actor=firm_user(firm),
        enterprise=firm,
        channel=Channel.PORTAL,
        type=PetitionType.COORDINATION,
        title="用地指标协调",
        content="新厂房用地指标迟迟未落实。",
        theme_id=(theme or world.theme).pk,
    )


def accepted_at(world, jurisdiction, actor):
    petition = petition_of(world, jurisdiction)
    return workflow.accept(petition_id=petition.pk, actor=actor)


def groups(field):
    """The <optgroup>s (or checkbox groups) of a field as [[unit pk, …], …] in their order."""
    return [[pk for pk, _name in options] for _label, options in field.choices if _label]


def by_name(*units):
    return [u.pk for u in sorted(units, key=lambda u: u.name)]


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.staff)
    return client


# --- who is offered ---------------------------------------------------------------------------------


def test_the_city_offers_its_departments_stationed_units_and_lower_governments_in_groups(
    staff_client, world, levels
):
    petition = flow.accepted(world)
    response = staff_client.get(reverse("staff:assign", args=[petition.pk]))
    assert response.status_code == 200
    lead = response.context["form"].fields["unit"]
    assert groups(lead) == [
        by_name(world.dept, world.other_dept),
        [levels.stationed.pk],
        [world.district.pk, levels.zone.pk],  # districts before zones
    ]
    assert lead.choices[0] == ("", "---------")
    html = response.content.decode()
    assert html.count("<optgroup") == 3
    # option values stay the units' ids (the browser tests select by value)
    assert f'<option value="{levels.stationed.pk}">{levels.stationed.name}</option>' in html


def test_the_city_offers_lower_departments_as_co_handlers_grouped_by_their_level(
    staff_client, world, levels
):
    petition = flow.accepted(world)
    response = staff_client.get(reverse("staff:assign", args=[petition.pk]))
    co = response.context["form"].fields["co_units"]
    assert groups(co) == [
        by_name(world.dept, world.other_dept),
        [levels.stationed.pk],
        [world.district.pk, levels.zone.pk],
        by_name(world.district_dept, levels.district_dept2),  # 龙湖区
        [levels.zone_dept.pk],  # 汕头高新区
    ]
    labels = [label for label, _options in co.choices]
    assert labels[3:] == [world.district.name, levels.zone.name]
    html = response.content.decode()
    assert f'<legend class="fs-6 fw-semibold mb-1">{world.district.name}</legend>' in html
    assert f'name="co_units" value="{levels.zone_dept.pk}"' in html
    offered = {pk for group in groups(co) for pk in group}
    assert not {world.task_force_unit.pk, world.foreign_dept.pk, world.leaders_unit.pk} & offered


def test_a_district_department_co_handles_a_city_case_but_cannot_lead_it(
    staff_client, world, levels
):
    petition = flow.accepted(world)
    url = reverse("staff:assign", args=[petition.pk])
    response = staff_client.post(url, {"unit": world.district_dept.pk})
    assert response.status_code == 400
    assert "unit" in response.context["form"].errors
    # what was typed is kept
    assert response.context["form"]["unit"].value() == str(world.district_dept.pk)

    response = staff_client.post(
        url, {"unit": world.district.pk, "co_units": [world.district_dept.pk]}
    )
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.proposed_unit == world.district
    assert list(petition.co_units.all()) == [world.district_dept]


def test_a_unit_of_another_city_is_refused_as_co_handler(staff_client, world, levels):
    petition = flow.accepted(world)
    response = staff_client.post(
        reverse("staff:assign", args=[petition.pk]),
        {"unit": world.dept.pk, "co_units": [world.foreign_dept.pk]},
    )
    assert response.status_code == 400
    assert "co_units" in response.context["form"].errors
    assert Petition.objects.get(pk=petition.pk).state == State.ACCEPTED


def test_a_district_offers_its_own_departments_only(client, world, levels):
    petition = accepted_at(world, world.district, levels.district_staff)
    client.force_login(levels.district_staff)
    response = client.get(reverse("staff:assign", args=[petition.pk]))
    form = response.context["form"]
    assert groups(form.fields["unit"]) == [by_name(world.district_dept, levels.district_dept2)]
    assert groups(form.fields["co_units"]) == [by_name(world.district_dept, levels.district_dept2)]
    response = client.post(reverse("staff:assign", args=[petition.pk]), {"unit": world.dept.pk})
    assert response.status_code == 400
    assert "unit" in response.context["form"].errors


def test_the_assignment_page_is_refused_to_other_levels_roles_and_cities(client, world, levels):
    city_case = flow.accepted(world)
    district_case = accepted_at(world, world.district, levels.district_staff)
    for user, petition, status in [
        (levels.district_staff, city_case, 404),  # a district never sees the city's cases
        (world.staff, district_case, 403),  # the city reads a district's case but does not act
        (world.foreign_staff, city_case, 404),
        (world.handler, city_case, 403),
        (world.leader, city_case, 403),
        (world.firm_user, city_case, 403),
    ]:
        client.force_login(user)
        assert client.get(reverse("staff:assign", args=[petition.pk])).status_code == status
        response = client.post(reverse("staff:assign", args=[petition.pk]), {"unit": world.dept.pk})
        assert response.status_code == status
    assert Petition.objects.get(pk=city_case.pk).state == State.ACCEPTED


# --- the proposal and why ----------------------------------------------------------------------------


def test_the_proposal_is_preselected_with_the_rule_that_matched(staff_client, world, levels):
    rule = RoutingRule.objects.create(
        jurisdiction=world.city,
        theme=world.theme,
        unit=levels.stationed,
        note="涉税融资由税务部门牵头",
        times_proposed=5,
        times_overridden=2,
    )
    rule.co_units.set([world.dept, world.district_dept])
    petition = flow.accepted(world)
    response = staff_client.get(reverse("staff:assign", args=[petition.pk]))
    form = response.context["form"]
    assert form.initial["unit"] == levels.stationed.pk
    assert form.initial["co_units"] == [world.dept.pk, world.district_dept.pk]
    why = response.context["why"]
    assert (why["rule"], why["taken"], why["offerable"], why["catalogue"]) == (rule, 3, True, True)
    html = response.content.decode()
    assert 'id="routing-why"' in html
    assert f"{world.theme.name} → {levels.stationed.name}" in html
    assert f"{world.dept.name}、{world.district_dept.name}" in html
    assert "涉税融资由税务部门牵头" in html
    assert reverse("staff:routing_rule", args=[world.theme.pk]) in html


def test_without_a_rule_the_page_says_so_and_links_the_catalogue(staff_client, world):
    petition = flow.accepted(world)
    response = staff_client.get(reverse("staff:assign", args=[petition.pk]))
    assert response.context["why"] == {"rule": None, "catalogue": True, "level_query": ""}
    assert response.context["form"].initial["unit"] is None
    html = response.content.decode()
    assert f'href="{reverse("staff:routing")}"' in html
    assert reverse("staff:routing_rule", args=[world.theme.pk]) not in html


def test_a_rule_whose_unit_can_no_longer_lead_here_is_not_preselected(staff_client, world, levels):
    RoutingRule.objects.create(jurisdiction=world.city, theme=world.theme, unit=world.other_dept)
    world.other_dept.is_active = False
    world.other_dept.save()
    petition = flow.accepted(world)
    response = staff_client.get(reverse("staff:assign", args=[petition.pk]))
    assert response.context["form"].initial["unit"] is None
    assert response.context["why"]["offerable"] is False


def test_a_case_the_city_runs_for_a_zone_uses_and_links_the_zones_rule(staff_client, world, levels):
    # The zone has no task force: the city's stands in (docs/rules.md §1), the zone's rule applies.
    RoutingRule.objects.create(jurisdiction=world.city, theme=world.theme, unit=world.dept)
    zone_rule = RoutingRule.objects.create(
        jurisdiction=levels.zone, theme=world.theme, unit=levels.zone_dept
    )
    petition = accepted_at(world, levels.zone, world.staff)
    response = staff_client.get(reverse("staff:assign", args=[petition.pk]))
    assert response.context["form"].initial["unit"] == levels.zone_dept.pk
    assert response.context["why"]["rule"] == zone_rule
    # The city keeps the zone's catalogue while it stands in: the link edits the zone's rule.
    edit = reverse("staff:routing_rule", args=[world.theme.pk]) + f"?level={levels.zone.pk}"
    assert f'href="{edit}"' in response.content.decode()


def test_proposing_counts_the_rule_as_taken_or_overridden(staff_client, world, levels):
    rule = RoutingRule.objects.create(
        jurisdiction=world.city, theme=world.theme, unit=world.other_dept
    )
    taken, overridden = flow.accepted(world), flow.accepted(world)
    staff_client.post(reverse("staff:assign", args=[taken.pk]), {"unit": world.other_dept.pk})
    rule.refresh_from_db()
    assert (rule.times_proposed, rule.times_overridden) == (1, 0)

    staff_client.post(reverse("staff:assign", args=[overridden.pk]), {"unit": world.dept.pk})
    rule.refresh_from_db()
    assert (rule.times_proposed, rule.times_overridden) == (2, 1)

    # a refused proposal counts nothing (the workflow's transaction is rolled back)
    refused = flow.accepted(world)
    staff_client.post(
        reverse("staff:assign", args=[refused.pk]),
        {"unit": world.dept.pk, "co_units": [world.dept.pk]},
    )
    rule.refresh_from_db()
    assert (rule.times_proposed, rule.times_overridden) == (2, 1)

    page = staff_client.get(reverse("staff:assign", args=[flow.accepted(world).pk]))
    assert page.context["why"]["taken"] == 1


def test_a_petition_of_another_theme_leaves_the_rule_alone(staff_client, world):
    from petitions.models import Theme

    rule = RoutingRule.objects.create(
        jurisdiction=world.city, theme=Theme.objects.get(code="land"), unit=world.other_dept
    )
    staff_client.post(
        reverse("staff:assign", args=[flow.accepted(world).pk]), {"unit": world.dept.pk}
    )
    rule.refresh_from_db()
    assert (rule.times_proposed, rule.times_overridden) == (0, 0)


# --- a returned case ------------------------------------------------------------------------------


def returned_at_district(world, levels, suggested):
    petition = accepted_at(world, world.district, levels.district_staff)
    workflow.propose(petition_id=petition.pk, actor=levels.district_staff, unit=world.district_dept)
    workflow.return_petition(
        petition_id=petition.pk,
        actor=world.district_handler,
        reason_code=ReturnReason.NOT_OUR_REMIT,
        reason="用地指标归自然资源部门。",
        suggested_unit=suggested,
    )
    return petition


def test_a_suggested_unit_of_this_level_is_preselected(client, world, levels):
    petition = returned_at_district(world, levels, levels.district_dept2)
    client.force_login(levels.district_staff)
    response = client.get(reverse("staff:assign", args=[petition.pk]))
    assert response.context["form"].initial["unit"] == levels.district_dept2.pk
    assert response.context["suggestion"]["offerable"] is True
    assert 'id="suggestion-elsewhere"' not in response.content.decode()


def test_a_suggested_unit_of_the_city_points_the_district_to_pass_up(client, world, levels):
    petition = returned_at_district(world, levels, world.other_dept)
    client.force_login(levels.district_staff)
    response = client.get(reverse("staff:assign", args=[petition.pk]))
    assert response.context["form"].initial["unit"] is None
    suggestion = response.context["suggestion"]
    assert (suggestion["offerable"], suggestion["home"], suggestion["down"]) == (
        False,
        world.city,
        False,
    )
    html = response.content.decode()
    assert 'id="suggestion-elsewhere"' in html
    assert f'href="{reverse("staff:petition", args=[petition.pk])}#level-h"' in html
    # the petition page it points to has the pass-up form
    page = client.get(reverse("staff:petition", args=[petition.pk]))
    assert reverse("staff:pass_up", args=[petition.pk]) in page.content.decode()


def test_a_suggested_district_department_points_the_city_to_hand_down(staff_client, world, levels):
    petition = flow.proposed(world)
    workflow.return_petition(
        petition_id=petition.pk,
        actor=world.handler,
        reason_code=ReturnReason.NOT_OUR_REMIT,
        reason="属龙湖区自然资源分局职责。",
        suggested_unit=levels.district_dept2,
    )
    response = staff_client.get(reverse("staff:assign", args=[petition.pk]))
    suggestion = response.context["suggestion"]
    assert (suggestion["offerable"], suggestion["home"], suggestion["down"]) == (
        False,
        world.district,
        True,
    )
    assert response.context["form"].initial["unit"] is None
    html = response.content.decode()
    assert f'href="{reverse("staff:petition", args=[petition.pk])}#level-h"' in html
    page = staff_client.get(reverse("staff:petition", args=[petition.pk]))
    assert reverse("staff:hand_down", args=[petition.pk]) in page.content.decode()


def test_upholding_a_return_offers_the_same_units(staff_client, world, levels):
    petition = flow.returned(world)
    url = reverse("staff:review_return", args=[petition.pk])
    response = staff_client.post(url, {"decision": "uphold", "unit": world.district_dept.pk})
    assert response.status_code == 400
    assert "unit" in response.context["form"].errors
    assert groups(response.context["form"].fields["unit"])[0] == by_name(
        world.dept, world.other_dept
    )
    response = staff_client.post(
        url,
        {"decision": "uphold", "unit": levels.stationed.pk, "co_units": [levels.zone_dept.pk]},
    )
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.proposed_unit == levels.stationed
    assert list(petition.co_units.all()) == [levels.zone_dept]
