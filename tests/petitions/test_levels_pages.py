"""Passing a case up or down from the petition page; who reads and who acts at each level; the firm is
told where its case went (docs/rules.md §1, §4)."""

from __future__ import annotations

import html

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from notices.models import Delivery
from petitions import workflow
from petitions.exceptions import WorkflowError
from petitions.models import LevelTransfer, Petition, ReturnReason, State
from tests.petitions import flow
from tests.petitions.test_levels import district_petition

pytestmark = pytest.mark.django_db


def page(client, petition):
    return client.get(reverse("staff:petition", args=[petition.pk]))


class TestPassUpPage:
    def test_the_district_passes_a_case_up_from_its_page(self, client, world, levels):
        petition = district_petition(world)
        client.force_login(levels.district_staff)
        assert "pass_up_form" in page(client, petition).context
        response = client.post(
            reverse("staff:pass_up", args=[petition.pk]), {"reason": "涉及市级用地指标"}
        )
        assert response.status_code == 302
        petition.refresh_from_db()
        assert petition.jurisdiction == world.city
        # The district still reads it, with the move on the page, and no longer acts.
        response = page(client, petition)
        assert response.status_code == 200
        assert not response.context["acts"]
        assert "涉及市级用地指标" in response.content.decode()
        assert client.get(reverse("staff:triage", args=[petition.pk])).status_code == 403
        # The firm and the city's task force are told.
        codes = set(Delivery.objects.filter(petition=petition).values_list("kind", flat=True))
        assert {"firm.moved", "tf.arrived"} <= codes
        # The city's task force is told, not the district's.
        arrived = Delivery.objects.filter(petition=petition, kind="tf.arrived")
        assert set(arrived.values_list("user", flat=True)) == {world.staff.pk}

    def test_a_missing_reason_is_said_on_the_page_and_nothing_moves(self, client, world, levels):
        petition = district_petition(world)
        client.force_login(levels.district_staff)
        response = client.post(reverse("staff:pass_up", args=[petition.pk]), {"reason": "  "})
        assert response.status_code == 400
        assert response.context["pass_up_form"].errors
        assert Petition.objects.get(pk=petition.pk).jurisdiction == world.district
        assert not LevelTransfer.objects.exists()

    def test_posting_twice_moves_once(self, client, world, levels):
        petition = district_petition(world)
        client.force_login(levels.district_staff)
        url = reverse("staff:pass_up", args=[petition.pk])
        client.post(url, {"reason": "跨区"})
        second = client.post(url, {"reason": "跨区"})
        assert second.status_code == 403
        assert LevelTransfer.objects.count() == 1

    def test_refused_to_other_roles_levels_and_firms(self, client, world, levels):
        petition = district_petition(world)
        url = reverse("staff:pass_up", args=[petition.pk])
        other_city = world.foreign_staff  # another city's task force: cannot even see it
        for user, status in (
            (world.staff, 403),  # the city reads a district that runs itself
            (other_city, 404),
            (world.leader, 403),
            (world.supervisor, 403),
            (world.district_handler, 403),
            (world.firm_user, 403),
        ):
            client.force_login(user)
            assert client.post(url, {"reason": "x"}).status_code == status, user
        assert not LevelTransfer.objects.exists()

    def test_the_city_sees_no_pass_up_form_for_its_own_top_level(self, client, world, levels):
        petition = flow.registered(world)
        client.force_login(world.staff)
        context = page(client, petition).context
        assert "pass_up_form" not in context
        assert "hand_down_form" in context


class TestHandDownPage:
    def test_the_city_hands_down_preset_to_the_firms_district(self, client, world, levels):
        petition = flow.registered(world)
        Petition.objects.filter(pk=petition.pk).update(
            enterprise=district_petition(world).enterprise
        )
        client.force_login(world.staff)
        form = page(client, petition).context["hand_down_form"]
        assert form.initial["to"] == world.district.pk
        assert set(form.fields["to"].queryset) == {world.district, levels.zone}
        response = client.post(
            reverse("staff:hand_down", args=[petition.pk]),
            {"to": world.district.pk, "reason": "属区级事权"},
        )
        assert response.status_code == 302
        assert Petition.objects.get(pk=petition.pk).jurisdiction == world.district

    def test_an_outside_target_is_refused_on_the_page(self, client, world, levels):
        petition = flow.registered(world)
        client.force_login(world.staff)
        response = client.post(
            reverse("staff:hand_down", args=[petition.pk]),
            {"to": world.other_city.pk, "reason": "x"},
        )
        assert response.status_code == 400
        assert "to" in response.context["hand_down_form"].errors
        assert not LevelTransfer.objects.exists()


class TestQueues:
    def test_the_citys_intake_lists_only_what_it_runs(self, client, world, levels):
        own = flow.registered(world)
        district_case = district_petition(world)
        zone_case = district_petition(world, levels.zone)  # no task force: the city stands in
        client.force_login(world.staff)
        listed = client.get(reverse("staff:intake")).content.decode()
        assert own.number in listed
        assert zone_case.number in listed
        assert district_case.number not in listed
        # ...and reads the district's case.
        assert page(client, district_case).status_code == 200

    def test_a_district_lists_its_own_and_never_another_levels(self, client, world, levels):
        own = district_petition(world)
        city_case = flow.registered(world)
        client.force_login(levels.district_staff)
        listed = client.get(reverse("staff:intake")).content.decode()
        assert own.number in listed
        assert city_case.number not in listed
        assert page(client, city_case).status_code == 404


class TestWrongRemit:
    def test_the_firm_reads_where_its_case_went(self, client, world, levels):
        petition = flow.proposed(world, unit=world.dept)
        workflow.return_petition(
            petition_id=petition.pk,
            actor=world.handler,
            reason_code=ReturnReason.NOT_OUR_REMIT,
            reason="土地事项不属本局职责",
            suggested_unit=world.other_dept,
        )
        client.force_login(world.staff)
        response = client.post(
            reverse("staff:review_return", args=[petition.pk]),
            {"decision": "uphold", "unit": world.other_dept.pk, "note": ""},
        )
        assert response.status_code == 302
        assert Petition.objects.get(pk=petition.pk).state == State.PROPOSED
        client.force_login(world.firm_user)
        body = client.get(reverse("portal:petition", args=[petition.pk])).content.decode()
        assert world.other_dept.name in body
        assert world.dept.name in body
        assert Delivery.objects.filter(kind="firm.reassigned").exists()

    def test_a_suggested_unit_of_another_city_is_refused(self, world, levels):
        petition = flow.proposed(world, unit=world.dept)
        with pytest.raises(WorkflowError) as exc:
            workflow.return_petition(
                petition_id=petition.pk,
                actor=world.handler,
                reason_code=ReturnReason.NOT_OUR_REMIT,
                reason="x",
                suggested_unit=world.foreign_dept,
            )
        assert exc.value.code == "bad_unit"
        assert Petition.objects.get(pk=petition.pk).state == State.PROPOSED


class TestErrorPages:
    def test_a_refusal_explains_itself_in_the_sites_own_page(self, client, world, levels):
        petition = district_petition(world)
        client.force_login(world.staff)
        response = client.get(reverse("staff:triage", args=[petition.pk]))
        assert response.status_code == 403
        assert "403.html" in [t.name for t in response.templates]
        with translation.override(settings.LANGUAGE_CODE):
            reason = gettext("Another level's task force runs this petition; you can read it.")
        assert html.escape(reason) in response.text

    def test_not_found_is_the_sites_own_page(self, client, world, levels):
        client.force_login(levels.district_staff)
        response = client.get(reverse("staff:petition", args=[flow.registered(world).pk]))
        assert response.status_code == 404
        assert "404.html" in [t.name for t in response.templates]
