"""Intake on /staff/: the queue, triage (accept, reject, merge as duplicate) and registering on a
firm's behalf."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from petitions import workflow
from petitions.models import Channel, Petition, PetitionEvent, PetitionType, RejectReason, State
from petitions.selectors import duplicates
from tests.factories import EnterpriseFactory
from tests.petitions import flow

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.staff)
    return client


def register(world, *, title="用电报装审批时间过长", content=None, received_at=None, firm=None):
    return workflow.register(
        actor=world.staff,
        enterprise=firm or world.firm,
        channel=Channel.VISIT,
        type=PetitionType.COMPLAINT,
        title=title,
        content=content or "企业新厂房用电报装已提交两个月，仍未审批，影响投产。",
        theme_id=world.theme.pk,
        received_at=received_at,
    )


# --- the queue -------------------------------------------------------------------------------------


def test_the_queue_holds_new_returned_and_accepted_petitions_oldest_first(staff_client, world):
    now = timezone.now()
    older = register(world, title="较早的诉求", received_at=now - timedelta(days=3))
    newer = register(world, title="较新的诉求", content="完全不同的内容，关于融资贷款。")
    returned = flow.returned(world)
    accepted = flow.accepted(world)
    flow.confirmed(world)  # past intake: not listed

    response = staff_client.get(reverse("staff:intake"))

    numbers = [p.number for p in response.context["page"]]
    assert numbers[0] == older.number
    assert set(numbers) == {older.number, newer.number, returned.number, accepted.number}
    html = response.content.decode()
    assert "市工业和信息化局" in html  # which unit returned it
    assert response.context["tabs"]["returned"] == 1


def test_the_queue_can_show_one_state(staff_client, world):
    flow.returned(world)
    new = register(world)
    response = staff_client.get(reverse("staff:intake"), {"state": "registered"})
    assert [p.pk for p in response.context["page"]] == [new.pk]


def test_the_queue_costs_the_same_queries_for_many_rows(
    staff_client, world, django_assert_num_queries
):
    for _ in range(3):
        flow.returned(world)
    for i in range(8):
        register(world, title=f"诉求{i}")
    # 1 session · 2 user · 3 the user's unit · 4 its parent (the city) · 5–6 jurisdictions below,
    # one query per level · 7 the levels the task force runs (docs/rules.md §1) · 8 page count ·
    # 9 page rows with firm, theme and units · 10 pending returns of the page (prefetch) ·
    # 11 working-day calendar for the due badges · 12 earlier petitions of the page's firms
    # (likely duplicates) · 13 tab counts (one aggregate)
    with django_assert_num_queries(13):
        response = staff_client.get(reverse("staff:intake"))
    assert len(response.context["page"]) == 11


def test_a_likely_duplicate_is_flagged_with_its_reason(staff_client, world):
    original = flow.accepted(world)
    repeat = register(world, title="用电报装审批时间过长", received_at=timezone.now())
    response = staff_client.get(reverse("staff:intake"))
    row = next(p for p in response.context["page"] if p.pk == repeat.pk)
    assert row.duplicate_match.petition == original
    assert original.number in response.content.decode()


# --- duplicates ----------------------------------------------------------------------------------


def test_duplicates_are_earlier_similar_petitions_of_the_same_firm(world):
    now = timezone.now()
    original = flow.accepted(world)
    Petition.objects.filter(pk=original.pk).update(received_at=now - timedelta(days=12))
    other_text = register(world, title="融资贷款难", content="银行贷款审批慢，抵押物不足。")
    Petition.objects.filter(pk=other_text.pk).update(received_at=now - timedelta(days=5))
    other_firm = register(world, firm=world.other_firm)
    Petition.objects.filter(pk=other_firm.pk).update(received_at=now - timedelta(days=4))
    too_old = flow.accepted(world)
    Petition.objects.filter(pk=too_old.pk).update(received_at=now - timedelta(days=200))
    rejected = register(world)
    workflow.reject(
        petition_id=rejected.pk,
        actor=world.staff,
        reason=RejectReason.UNCLEAR,
        explanation="不清楚",
    )
    Petition.objects.filter(pk=rejected.pk).update(received_at=now - timedelta(days=3))
    new = register(world, received_at=now)

    matches = duplicates.likely_duplicates(new, Petition.objects.visible_to(world.staff))

    assert [m.petition.pk for m in matches] == [original.pk]
    assert matches[0].days_earlier == 12
    assert matches[0].percent == 92  # the same text; only the request differs
    with translation.override("en"):
        assert matches[0].reason == "same firm, 92% similar text, 12 days earlier"


def test_a_registered_earlier_petition_is_shown_but_cannot_be_chosen(world):
    earlier = register(world, received_at=timezone.now() - timedelta(days=1))
    new = register(world)
    matches = duplicates.likely_duplicates(new, Petition.objects.visible_to(world.staff))
    assert [m.petition.pk for m in matches] == [earlier.pk]
    assert not matches[0].selectable


# --- triage ----------------------------------------------------------------------------------------


def test_the_triage_page_suggests_duplicates(staff_client, world):
    original = flow.accepted(world)
    new = register(world)
    response = staff_client.get(reverse("staff:triage", args=[new.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert original.number in html
    assert "92%" in html


def test_triage_of_a_petition_past_registration_goes_to_its_page(staff_client, world):
    petition = flow.accepted(world)
    response = staff_client.get(reverse("staff:triage", args=[petition.pk]))
    assert response["Location"] == reverse("staff:petition", args=[petition.pk])


def test_accepting_sets_type_theme_classification_and_tier(staff_client, world):
    petition = register(world)
    response = staff_client.post(
        reverse("staff:accept", args=[petition.pk]),
        {
            "type": PetitionType.COORDINATION,
            "theme": world.theme.pk,
            "scope_class": "departmental",
            "demand_class": "individual",
            "nature_class": "",
            "age_class": "new",
            "tier": "complex",
            "note": "",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:assign", args=[petition.pk])
    petition.refresh_from_db()
    assert petition.state == State.ACCEPTED
    assert petition.type == PetitionType.COORDINATION
    assert (petition.scope_class, petition.demand_class, petition.nature_class) == (
        "departmental",
        "individual",
        "",
    )
    assert petition.age_class == "new"
    assert petition.tier == "complex"


def test_accepting_without_a_theme_shows_the_error_and_keeps_the_values(staff_client, world):
    petition = register(world)
    response = staff_client.post(
        reverse("staff:accept", args=[petition.pk]),
        {"type": PetitionType.CONSULTATION, "theme": "", "tier": "key", "note": "先看看"},
    )
    assert response.status_code == 400
    assert "theme" in response.context["accept_form"].errors
    html = response.content.decode()
    assert "先看看" in html
    assert 'value="key" selected' in html
    petition.refresh_from_db()
    assert petition.state == State.REGISTERED


def test_rejecting_needs_a_reason_and_an_explanation(staff_client, world):
    petition = register(world)
    url = reverse("staff:reject", args=[petition.pk])
    response = staff_client.post(url, {"reason": "", "explanation": ""})
    assert response.status_code == 400
    assert set(response.context["reject_form"].errors) == {"reason", "explanation"}
    assert Petition.objects.get(pk=petition.pk).state == State.REGISTERED

    response = staff_client.post(
        url, {"reason": RejectReason.OTHER_PROCEDURE, "explanation": "该事项已进入行政复议程序。"}
    )
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == State.REJECTED
    assert petition.reject_explanation == "该事项已进入行政复议程序。"
    assert PetitionEvent.objects.get(petition=petition, action="reject").visible_to_firm


def test_merging_into_an_accepted_petition(staff_client, world):
    original = flow.accepted(world)
    petition = register(world)
    response = staff_client.post(
        reverse("staff:mark_duplicate", args=[petition.pk]), {"original": original.number.lower()}
    )
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == State.DUPLICATE
    assert petition.duplicate_of == original


def test_merging_refuses_an_unknown_or_foreign_number(staff_client, world):
    petition = register(world)
    response = staff_client.post(
        reverse("staff:mark_duplicate", args=[petition.pk]), {"original": "ZQ2026-999999"}
    )
    assert response.status_code == 400
    assert "original" in response.context["duplicate_form"].errors


def test_merging_into_a_petition_not_yet_accepted_is_refused_by_the_workflow(staff_client, world):
    earlier = register(world)
    petition = register(world)
    response = staff_client.post(
        reverse("staff:mark_duplicate", args=[petition.pk]), {"original": earlier.number}
    )
    assert response.status_code == 400
    assert response.context["duplicate_form"].errors["original"]
    assert Petition.objects.get(pk=petition.pk).state == State.REGISTERED


# --- register on a firm's behalf -----------------------------------------------------------------


def registration(world, **overrides):
    data = {
        "enterprise": world.firm.pk,
        "channel": Channel.HOTLINE_12345,
        "channel_ref": "12345-20260302-0001",
        "received_at": (timezone.localtime() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "type": PetitionType.CONSULTATION,
        "theme": world.theme.pk,
        "title": "贷款贴息政策咨询",
        "content": "企业想了解技改贷款贴息的申请条件。",
        "request": "告知申请条件和流程。",
    }
    data.update(overrides)
    return data


def test_staff_register_a_12345_ticket_for_a_firm(staff_client, world):
    response = staff_client.post(reverse("staff:register"), registration(world))
    petition = Petition.objects.get(channel_ref="12345-20260302-0001")
    assert response["Location"] == reverse("staff:triage", args=[petition.pk])
    assert petition.channel == Channel.HOTLINE_12345
    assert petition.submitted_by == world.staff
    assert petition.state == State.REGISTERED
    assert timezone.now() - petition.received_at > timedelta(hours=1)


def test_the_time_received_cannot_be_in_the_future(staff_client, world):
    future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = staff_client.post(reverse("staff:register"), registration(world, received_at=future))
    assert response.status_code == 400
    assert "received_at" in response.context["form"].errors
    html = response.content.decode()
    assert "贷款贴息政策咨询" in html  # typed values kept
    assert world.firm.name in html  # the chosen firm stays chosen
    assert not Petition.objects.exists()


def test_a_12345_ticket_needs_its_number_and_may_be_registered_once(staff_client, world):
    response = staff_client.post(reverse("staff:register"), registration(world, channel_ref=""))
    assert "channel_ref" in response.context["form"].errors
    staff_client.post(reverse("staff:register"), registration(world))
    response = staff_client.post(reverse("staff:register"), registration(world))
    assert response.status_code == 400
    assert "channel_ref" in response.context["form"].errors
    assert Petition.objects.count() == 1


def test_a_firm_of_another_city_cannot_be_chosen(staff_client, world):
    foreign = EnterpriseFactory(jurisdiction=world.other_city)
    response = staff_client.post(
        reverse("staff:register"), registration(world, enterprise=foreign.pk)
    )
    assert response.status_code == 400
    assert "enterprise" in response.context["form"].errors


def test_the_firm_picker_finds_by_name_or_code_within_the_jurisdiction(staff_client, world):
    foreign = EnterpriseFactory(jurisdiction=world.other_city, name="外地测试企业")
    url = reverse("staff:enterprise_search")
    by_name = staff_client.get(url, {"q": world.firm.name[:4]}).context["found"]
    assert world.firm in by_name
    assert foreign not in by_name
    by_code = staff_client.get(url, {"q": world.firm.uscc.lower()}).context["found"]
    assert by_code == [world.firm]
