"""Assignment on /staff/: the routing catalogue's proposal, returns, the leader's approval (呈批),
the transfer letter and extension requests."""

import pytest
from django.urls import reverse

from petitions import workflow
from petitions.models import (
    ExtensionStatus,
    Petition,
    PetitionReturn,
    ReturnDecision,
    RoutingRule,
    State,
    Step,
)
from tests.petitions import flow

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.staff)
    return client


# --- proposing the lead unit -------------------------------------------------------------------------


def test_the_routing_catalogue_proposes_the_lead_and_co_handlers(staff_client, world):
    rule = RoutingRule.objects.create(
        jurisdiction=world.city, theme=world.theme, unit=world.other_dept
    )
    rule.co_units.set([world.dept])
    petition = flow.accepted(world)

    response = staff_client.get(reverse("staff:assign", args=[petition.pk]))

    form = response.context["form"]
    assert form.initial["unit"] == world.other_dept.pk
    assert form.initial["co_units"] == [world.dept.pk]
    assert world.other_dept.name in response.content.decode()
    # a district's department co-handles a city case but does not lead it (docs/rules.md §1)
    units = set(form.fields["unit"].queryset)
    assert {world.dept, world.other_dept, world.district} <= units
    assert not {world.district_dept, world.foreign_dept, world.task_force_unit} & units
    co_units = set(form.fields["co_units"].queryset)
    assert {world.dept, world.district_dept, world.district} <= co_units
    assert not {world.foreign_dept, world.task_force_unit} & co_units


def test_without_a_rule_nothing_is_preselected(staff_client, world):
    petition = flow.accepted(world)
    response = staff_client.get(reverse("staff:assign", args=[petition.pk]))
    assert response.context["form"].initial["unit"] is None


def test_proposing_a_lead_unit_and_co_handlers(staff_client, world):
    petition = flow.accepted(world)
    response = staff_client.post(
        reverse("staff:assign", args=[petition.pk]),
        {"unit": world.dept.pk, "co_units": [world.other_dept.pk], "note": "请尽快签收"},
    )
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == State.PROPOSED
    assert petition.proposed_unit == world.dept
    assert list(petition.co_units.all()) == [world.other_dept]


def test_the_lead_unit_cannot_also_be_a_co_handler(staff_client, world):
    petition = flow.accepted(world)
    response = staff_client.post(
        reverse("staff:assign", args=[petition.pk]),
        {"unit": world.dept.pk, "co_units": [world.dept.pk]},
    )
    assert response.status_code == 400
    assert response.context["form"].errors
    assert Petition.objects.get(pk=petition.pk).state == State.ACCEPTED


def test_a_unit_of_another_city_is_not_a_choice(staff_client, world):
    petition = flow.accepted(world)
    response = staff_client.post(
        reverse("staff:assign", args=[petition.pk]), {"unit": world.foreign_dept.pk}
    )
    assert response.status_code == 400
    assert "unit" in response.context["form"].errors


# --- returns -------------------------------------------------------------------------------------------


def test_a_return_shows_who_returned_it_and_why(staff_client, world):
    petition = flow.returned(world)
    response = staff_client.get(reverse("staff:assign", args=[petition.pk]))
    html = response.content.decode()
    assert response.context["pending"].unit == world.dept
    assert "属于自然资源部门职责。" in html
    assert response.context["form"].initial["unit"] == world.other_dept.pk  # the suggested unit


def test_upholding_a_return_reassigns(staff_client, world):
    petition = flow.returned(world)
    response = staff_client.post(
        reverse("staff:review_return", args=[petition.pk]),
        {"decision": "uphold", "unit": world.other_dept.pk, "note": "同意退回"},
    )
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == State.PROPOSED
    assert petition.proposed_unit == world.other_dept
    assert PetitionReturn.objects.get(petition=petition).decision == ReturnDecision.UPHELD


def test_upholding_needs_another_unit(staff_client, world):
    petition = flow.returned(world)
    url = reverse("staff:review_return", args=[petition.pk])
    response = staff_client.post(url, {"decision": "uphold", "unit": ""})
    assert response.status_code == 400
    assert "unit" in response.context["form"].errors
    response = staff_client.post(url, {"decision": "uphold", "unit": world.dept.pk})
    assert response.status_code == 400
    assert "unit" in response.context["form"].errors
    assert Petition.objects.get(pk=petition.pk).state == State.RETURNED


def test_rejecting_a_return_keeps_the_unit(staff_client, world):
    petition = flow.returned(world)
    response = staff_client.post(
        reverse("staff:review_return", args=[petition.pk]),
        {"decision": "overrule", "note": "属于工信部门职责"},
    )
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == State.CONFIRMED
    assert petition.lead_unit == world.dept


# --- leader's approval and the transfer letter ----------------------------------------------------


def test_a_confirmed_petition_offers_the_letter_and_the_leaders(staff_client, world):
    petition = flow.confirmed(world)
    response = staff_client.get(reverse("staff:petition", args=[petition.pk]))
    assert response.context["can_issue"]
    assert list(response.context["approval_form"].fields["leader"].queryset) == [world.leader]


def test_submitting_for_approval_and_the_leaders_queue(client, world):
    petition = flow.confirmed(world)
    client.force_login(world.staff)
    response = client.post(
        reverse("staff:submit_approval", args=[petition.pk]),
        {"leader": world.leader.pk, "note": "涉及多个部门，需市领导协调"},
    )
    assert response.status_code == 302
    assert Petition.objects.get(pk=petition.pk).state == State.AWAITING_APPROVAL

    client.force_login(world.leader)
    queue = client.get(reverse("staff:approvals"))
    assert [p.pk for p in queue.context["page"]] == [petition.pk]
    page = client.get(reverse("staff:approval", args=[petition.pk]))
    assert "涉及多个部门，需市领导协调" in page.content.decode()


def test_submitting_needs_a_leader(staff_client, world):
    petition = flow.confirmed(world)
    response = staff_client.post(reverse("staff:submit_approval", args=[petition.pk]), {})
    assert response.status_code == 400
    assert "leader" in response.context["approval_form"].errors


def test_the_leader_approves_with_an_instruction(client, world):
    petition = flow.awaiting_approval(world)
    client.force_login(world.leader)
    response = client.post(
        reverse("staff:approval", args=[petition.pk]),
        {"decision": "approve", "instruction": "同意，请工信局牵头。"},
    )
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == State.CONFIRMED
    assert petition.approved_at is not None
    assert petition.leader_instruction == "同意，请工信局牵头。"


def test_sending_back_needs_an_instruction_and_blocks_the_letter(client, world):
    petition = flow.awaiting_approval(world)
    client.force_login(world.leader)
    url = reverse("staff:approval", args=[petition.pk])
    response = client.post(url, {"decision": "send_back", "instruction": ""})
    assert response.status_code == 400
    assert "instruction" in response.context["form"].errors
    client.post(url, {"decision": "send_back", "instruction": "请补充企业材料后再报。"})
    assert Petition.objects.get(pk=petition.pk).state == State.CONFIRMED

    client.force_login(world.staff)
    page = client.get(reverse("staff:petition", args=[petition.pk]))
    assert not page.context["can_issue"]
    response = client.post(reverse("staff:issue_letter", args=[petition.pk]), follow=True)
    assert Petition.objects.get(pk=petition.pk).state == State.CONFIRMED
    assert any("leader" in str(m).lower() or "领导" in str(m) for m in response.context["messages"])


def test_a_supervisor_sees_the_petition_without_action_forms(client, world):
    petition = flow.confirmed(world)
    client.force_login(world.supervisor)
    response = client.get(reverse("staff:petition", args=[petition.pk]))
    assert response.status_code == 200
    assert "approval_form" not in response.context
    assert reverse("staff:issue_letter", args=[petition.pk]) not in response.content.decode()


def test_issuing_the_letter_opens_contact_and_reply_limits(staff_client, world):
    petition = flow.confirmed(world)
    response = staff_client.post(reverse("staff:issue_letter", args=[petition.pk]))
    assert response["Location"] == reverse("staff:petition", args=[petition.pk])
    petition.refresh_from_db()
    assert petition.state == State.ASSIGNED
    assert petition.transfer_letter_no == f"ZB{petition.number[2:]}"
    page = staff_client.get(reverse("staff:petition", args=[petition.pk]))
    steps = {d.step for d in page.context["open_deadlines"]}
    assert steps == {Step.CONTACT, Step.REPLY}
    assert reverse("staff:transfer_letter_pdf", args=[petition.pk]) in page.content.decode()


def test_the_letters_queue_lists_confirmed_and_awaiting_approval(staff_client, world):
    confirmed = flow.confirmed(world)
    waiting = flow.awaiting_approval(world)
    flow.assigned(world)
    response = staff_client.get(reverse("staff:letters"))
    assert {p.pk for p in response.context["page"]} == {confirmed.pk, waiting.pk}


# --- extensions ----------------------------------------------------------------------------------------


def ask(world, petition, amount=3):
    return workflow.request_extension(
        petition_id=petition.pk, actor=world.handler, reason="需要现场勘查。", amount=amount
    )


def test_the_extension_queue_and_approving_one(staff_client, world, django_assert_num_queries):
    petitions = [flow.in_progress(world) for _ in range(3)]
    extensions = [ask(world, p) for p in petitions]
    # 1 session · 2 user · 3–4 the user's unit and its parent · 5 the levels the task force acts
    # on (the tree of jurisdictions with whether each has a task force) · 6–7 the
    # jurisdictions below · 8 count · 9 page rows with petition, firm, units and requester ·
    # 10 open reply deadlines
    with django_assert_num_queries(10):
        response = staff_client.get(reverse("staff:extensions"))
    assert [x.pk for x in response.context["page"]] == [x.pk for x in extensions]

    before = petitions[0].deadlines.get(step=Step.REPLY, closed_at__isnull=True).due_on
    response = staff_client.post(
        reverse("staff:decide_extension", args=[extensions[0].pk]),
        {"decision": "approve", "note": "同意"},
    )
    assert response["Location"] == reverse("staff:extensions")
    extensions[0].refresh_from_db()
    assert extensions[0].status == ExtensionStatus.APPROVED
    assert extensions[0].due_before == before
    assert extensions[0].due_after > before


def test_denying_an_extension(staff_client, world):
    extension = ask(world, flow.in_progress(world))
    staff_client.post(
        reverse("staff:decide_extension", args=[extension.pk]),
        {"decision": "deny", "note": "不同意"},
    )
    extension.refresh_from_db()
    assert extension.status == ExtensionStatus.DENIED
    # deciding twice is refused with a message, nothing changes
    response = staff_client.post(
        reverse("staff:decide_extension", args=[extension.pk]), {"decision": "approve"}, follow=True
    )
    assert list(response.context["messages"])
    extension.refresh_from_db()
    assert extension.status == ExtensionStatus.DENIED


def test_the_letters_queue_costs_a_fixed_number_of_queries(
    staff_client, world, django_assert_num_queries
):
    for _ in range(3):
        flow.confirmed(world)
        flow.awaiting_approval(world)
    # 1 session · 2 user · 3 the user's unit · 4 its parent (the city) · 5 the levels the task
    # force acts on (the tree of jurisdictions with whether each has a task force) · 6–7
    # jurisdictions below, one query per level · 8 count · 9 page rows with firm, theme, units
    # and leader · 10 working-day calendar for the due badges
    with django_assert_num_queries(10):
        response = staff_client.get(reverse("staff:letters"))
    assert len(response.context["page"]) == 6


def test_the_approval_queue_costs_a_fixed_number_of_queries(
    client, world, django_assert_num_queries
):
    for _ in range(4):
        flow.awaiting_approval(world)
    client.force_login(world.leader)
    # 1 session · 2 user · 3 the leader's unit · 4 its parent (the city) · 5–6 jurisdictions
    # below · 7 count · 8 page rows with firm, theme, units and leader (no open deadline while
    # the leader decides, so no calendar query)
    with django_assert_num_queries(8):
        response = client.get(reverse("staff:approvals"))
    assert len(response.context["page"]) == 4


def test_the_start_page_counts_in_one_query(staff_client, world, django_assert_num_queries):
    flow.registered(world)
    flow.returned(world)
    flow.replied(world)
    # 1 session · 2 user · 3 unit · 4 parent · 5 the levels the task force acts on (the tree of
    # jurisdictions with whether each has a task force) · 6–7 jurisdictions · 8 every
    # count of petitions (one aggregate) · 9 pending extension requests · 10–11 jurisdictions and
    # 12 the count of the firms to verify · 13–15 the quarterly meeting warning (jurisdictions
    # under the unit, meetings held this quarter, meetings planned)
    with django_assert_num_queries(15):
        response = staff_client.get(reverse("staff:home"))
    counts = response.context["counts"]
    assert (counts["registered"], counts["returned"], counts["replied"]) == (1, 1, 1)
