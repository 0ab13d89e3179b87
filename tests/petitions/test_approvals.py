"""呈批: an approval is decided by the leader it was submitted to, or reassigned by the task force.

Any leader of the jurisdiction could approve or send back a petition submitted to another leader
with a crafted POST; now the workflow refuses everyone but the addressed leader, and the task force
can hand a pending approval to another leader (a timeline event and a notice to that leader).
"""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from petitions import workflow
from petitions.exceptions import WorkflowError
from petitions.models import (
    Notification,
    OrgUnit,
    Petition,
    PetitionEvent,
    Role,
    State,
    UnitKind,
)
from tests.factories import member
from tests.petitions import flow
from tests.petitions.test_workflow_illegal import BUILDERS

pytestmark = pytest.mark.django_db

HOSTILE = "A<B> & \"C\" 'D'"


@pytest.fixture
def deputy(world):
    """A second leader of the same city: covers the petition, but was not asked."""
    return member(world.leaders_unit, Role.LEADER, username="deputy", first_name="副市长")


@pytest.fixture
def foreign_leader(world):
    unit = OrgUnit.objects.create(
        name="河源市政府领导", kind=UnitKind.LEADERSHIP, parent=world.other_city
    )
    return member(unit, Role.LEADER, username="foreign_leader")


def snapshot(petition_id: int) -> tuple:
    petition = Petition.objects.get(pk=petition_id)
    return (
        petition.state,
        petition.updated_at,
        petition.approval_leader_id,
        petition.approved_at,
        petition.leader_instruction,
        petition.due_on,
        PetitionEvent.objects.filter(petition_id=petition_id).count(),
        tuple(petition.deadlines.order_by("pk").values_list("pk", "due_on", "closed_at")),
    )


def reassign(world, petition, leader, note=""):
    return workflow.reassign_approval(
        petition_id=petition.pk, actor=world.staff, leader=leader, note=note
    )


# --- deciding: only the addressed leader ---------------------------------------------------------


@pytest.mark.parametrize(
    "decide",
    [
        lambda p, who: workflow.approve(petition_id=p.pk, actor=who, instruction="同意"),
        lambda p, who: workflow.send_back(petition_id=p.pk, actor=who, instruction="再议"),
    ],
    ids=["approve", "send_back"],
)
def test_a_leader_cannot_decide_an_approval_addressed_to_another(world, deputy, decide):
    petition = flow.awaiting_approval(world)
    before = snapshot(petition.pk)

    with pytest.raises(PermissionDenied) as refused:
        decide(petition, deputy)

    assert "submitted to" in str(refused.value) or "呈" in str(refused.value)
    assert snapshot(petition.pk) == before


@pytest.mark.parametrize("decision", ["approve", "send_back"])
def test_a_crafted_post_by_another_leader_is_refused_with_no_write(client, world, deputy, decision):
    petition = flow.awaiting_approval(world)
    before = snapshot(petition.pk)
    client.force_login(deputy)

    response = client.post(
        reverse("staff:approval", args=[petition.pk]),
        {"decision": decision, "instruction": "越权批示"},
    )

    assert response.status_code == 403
    assert snapshot(petition.pk) == before


def test_a_crafted_post_without_an_instruction_is_refused_before_the_form_is_read(
    client, world, deputy
):
    # Not a 400 with "write an instruction": the deputy may not decide at all.
    petition = flow.awaiting_approval(world)
    client.force_login(deputy)
    response = client.post(reverse("staff:approval", args=[petition.pk]), {"decision": "send_back"})
    assert response.status_code == 403


def test_an_admin_action_by_another_leader_is_refused_with_no_write(client, world, deputy):
    from tests.petitions.test_admin import make_staff, message_texts, run_action

    petition = flow.awaiting_approval(world)
    before = snapshot(petition.pk)
    client.force_login(make_staff(deputy))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    response = run_action(client, "approve", petition, apply="1", instruction="同意")

    assert message_texts(response) == [
        f"{petition.number}: Only the leader this approval was submitted to may decide it."
    ]
    assert snapshot(petition.pk) == before


def test_the_addressed_leader_still_decides(world):
    petition = flow.awaiting_approval(world)
    petition = workflow.approve(petition_id=petition.pk, actor=world.leader, instruction="同意")
    assert petition.state == State.CONFIRMED
    assert petition.events.filter(action="approve", actor=world.leader).exists()


def test_a_decided_approval_says_so_to_any_leader(world, deputy):
    # The state is checked first: nothing is pending, whoever asks.
    petition = flow.confirmed(world)
    for leader in (world.leader, deputy):
        with pytest.raises(WorkflowError) as refused:
            workflow.approve(petition_id=petition.pk, actor=leader)
        assert refused.value.code == "invalid_transition"


def test_a_post_on_an_approval_decided_meanwhile_shows_why_on_the_page(client, world):
    petition = flow.awaiting_approval(world)
    workflow.approve(petition_id=petition.pk, actor=world.leader)
    client.force_login(world.leader)

    response = client.post(
        reverse("staff:approval", args=[petition.pk]), {"decision": "approve", "instruction": ""}
    )

    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert petition.events.filter(action="approve").count() == 1


def test_the_leaders_inbox_lists_only_approvals_addressed_to_them(client, world, deputy):
    mine = flow.awaiting_approval(world)
    theirs = flow.confirmed(world)
    workflow.submit_for_approval(petition_id=theirs.pk, actor=world.staff, leader=deputy)

    client.force_login(world.leader)
    assert [p.pk for p in client.get(reverse("staff:approvals")).context["page"]] == [mine.pk]
    client.force_login(deputy)
    assert [p.pk for p in client.get(reverse("staff:approvals")).context["page"]] == [theirs.pk]
    client.force_login(world.staff)
    listed = {p.pk for p in client.get(reverse("staff:approvals")).context["page"]}
    assert listed == {mine.pk, theirs.pk}


def test_another_leader_reads_the_approval_without_the_decision_form(client, world, deputy):
    petition = flow.awaiting_approval(world)
    client.force_login(deputy)

    response = client.get(reverse("staff:approval", args=[petition.pk]))

    assert response.status_code == 200
    assert response.context["form"] is None
    assert 'name="decision"' not in response.content.decode()
    # The petition page does not offer it to them either.
    page = client.get(reverse("staff:petition", args=[petition.pk])).content.decode()
    assert reverse("staff:approval", args=[petition.pk]) not in page
    client.force_login(world.leader)
    page = client.get(reverse("staff:petition", args=[petition.pk])).content.decode()
    assert reverse("staff:approval", args=[petition.pk]) in page


# --- reassigning: the task force -----------------------------------------------------------------


def test_the_task_force_reassigns_a_pending_approval_to_another_leader(
    world, deputy, django_capture_on_commit_callbacks
):
    petition = flow.awaiting_approval(world)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        petition = reassign(world, petition, deputy, note="原领导出差")

    assert petition.state == State.AWAITING_APPROVAL
    assert petition.approval_leader == deputy
    event = petition.events.latest("created_at", "pk")
    assert event.action == "reassign_approval"
    assert event.actor == world.staff
    assert (event.from_state, event.to_state) == (State.AWAITING_APPROVAL,) * 2
    assert not event.visible_to_firm
    assert "副市长" in event.note
    assert "原领导出差" in event.note
    # The notice goes after commit, to the new leader only.
    assert len(callbacks) == 1
    notice = Notification.objects.get(event=event)
    assert notice.user == deputy
    assert notice.link == reverse("staff:approval", args=[petition.pk])
    [message] = mail.outbox
    assert message.to == [deputy.email]
    assert petition.number in message.subject
    assert "原领导出差" in message.body


def test_after_reassignment_the_new_leader_decides_and_the_old_one_is_refused(
    client, world, deputy
):
    petition = flow.awaiting_approval(world)
    reassign(world, petition, deputy)
    before = snapshot(petition.pk)

    with pytest.raises(PermissionDenied):
        workflow.approve(petition_id=petition.pk, actor=world.leader)
    client.force_login(world.leader)
    url = reverse("staff:approval", args=[petition.pk])
    assert client.post(url, {"decision": "approve", "instruction": ""}).status_code == 403
    assert snapshot(petition.pk) == before
    assert [p.pk for p in client.get(reverse("staff:approvals")).context["page"]] == []

    client.force_login(deputy)
    response = client.post(url, {"decision": "send_back", "instruction": "请补充材料"})
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == State.CONFIRMED
    assert petition.events.filter(action="send_back", actor=deputy).exists()


def test_submitting_for_approval_notifies_the_leader(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        petition = flow.awaiting_approval(world)
    notice = Notification.objects.get(user=world.leader)
    assert notice.petition == petition
    assert notice.kind == "leader.approval"
    assert [m.to for m in mail.outbox if world.leader.email in m.to] == [[world.leader.email]]


def test_the_leaders_mail_keeps_the_firms_text_literal(
    world, deputy, django_capture_on_commit_callbacks
):
    petition = flow.awaiting_approval(world)
    Petition.objects.filter(pk=petition.pk).update(title=HOSTILE)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reassign(world, petition, deputy, note=HOSTILE)
    [message] = mail.outbox
    assert message.body.count(HOSTILE) == 2  # the title and the task force's note
    assert "&lt;" not in message.body
    assert "&amp;" not in message.body


def test_a_notice_is_not_sent_twice_nor_about_an_approval_that_moved_on(
    world, deputy, django_capture_on_commit_callbacks
):
    from notices import events as notices
    from notices import sender
    from notices.models import Delivery, Status

    with django_capture_on_commit_callbacks(execute=True):
        petition = flow.awaiting_approval(world)
    submitted = petition.events.get(action="submit_for_approval")
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        notices.on_event(submitted)  # a retried occasion writes and sends nothing more
    assert len(mail.outbox) == sent
    assert Notification.objects.filter(user=world.leader).count() == 1
    # A notice still waiting when the approval moved to another leader is dropped, not sent.
    Delivery.objects.filter(event=submitted, channel="email").update(status=Status.PENDING)
    reassign(world, petition, deputy)
    sender.deliver_due()
    assert Delivery.objects.get(event=submitted, channel="email").status == Status.SKIPPED
    assert not [m for m in mail.outbox[sent:] if world.leader.email in m.to]


def test_an_approval_decided_before_its_notice_went_out_is_not_announced(
    world, deputy, django_capture_on_commit_callbacks
):
    from notices import sender
    from notices.models import Delivery, Status

    petition = flow.awaiting_approval(world)  # its mail is not sent: no on-commit run
    workflow.approve(petition_id=petition.pk, actor=world.leader)
    mail.outbox.clear()
    sender.deliver_due()
    submitted = petition.events.get(action="submit_for_approval")
    assert {d.status for d in Delivery.objects.filter(event=submitted, channel="email")} == {
        Status.SKIPPED
    }
    assert not [m for m in mail.outbox if world.leader.email in m.to]


def test_a_leader_without_an_address_gets_the_notice_in_the_application(
    world, django_capture_on_commit_callbacks
):
    world.leader.email = ""
    world.leader.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        flow.awaiting_approval(world)
    assert Notification.objects.filter(user=world.leader).count() == 1
    assert not [m for m in mail.outbox if not m.to or "" in m.to]


@pytest.mark.parametrize("who", ["leader", "handler", "supervisor"])
def test_only_the_task_force_reassigns(world, deputy, who):
    petition = flow.awaiting_approval(world)
    before = snapshot(petition.pk)
    with pytest.raises(PermissionDenied):
        workflow.reassign_approval(
            petition_id=petition.pk, actor=getattr(world, who), leader=deputy
        )
    assert snapshot(petition.pk) == before


def test_the_task_force_of_another_city_cannot_reassign(world, deputy):
    petition = flow.awaiting_approval(world)
    with pytest.raises(PermissionDenied):
        workflow.reassign_approval(
            petition_id=petition.pk, actor=world.foreign_staff, leader=deputy
        )


@pytest.mark.parametrize(
    ("whom", "code"),
    [
        ("leader", "same_leader"),
        ("handler", "leader_required"),
        ("foreign_leader", "leader_required"),
        ("inactive_deputy", "leader_required"),
    ],
)
def test_reassigning_needs_another_leader_who_covers_the_petition(
    world, deputy, foreign_leader, whom, code
):
    if whom == "inactive_deputy":
        deputy.is_active = False
        deputy.save(update_fields=["is_active"])
        leader = deputy
    elif whom == "foreign_leader":
        leader = foreign_leader
    else:
        leader = getattr(world, whom)
    petition = flow.awaiting_approval(world)
    before = snapshot(petition.pk)

    with pytest.raises(WorkflowError) as refused:
        reassign(world, petition, leader)

    assert refused.value.code == code
    assert snapshot(petition.pk) == before


@pytest.mark.parametrize("state", [s for s in State.values if s != State.AWAITING_APPROVAL])
def test_only_a_pending_approval_can_be_reassigned(world, deputy, state):
    original = flow.assigned(world)
    petition = BUILDERS[state](world, original)
    before = snapshot(petition.pk)

    with pytest.raises(WorkflowError) as refused:
        reassign(world, petition, deputy)

    assert refused.value.code == "invalid_transition"
    assert snapshot(petition.pk) == before


def test_reassigning_a_petition_that_does_not_exist_is_refused(world, deputy):
    with pytest.raises(WorkflowError):
        workflow.reassign_approval(petition_id=987654, actor=world.staff, leader=deputy)


# --- the reassignment page -----------------------------------------------------------------------


def test_the_task_force_reassigns_from_the_petition_page(client, world, deputy):
    petition = flow.awaiting_approval(world)
    client.force_login(world.staff)
    url = reverse("staff:reassign_approval", args=[petition.pk])
    assert url in client.get(reverse("staff:petition", args=[petition.pk])).content.decode()
    assert url in client.get(reverse("staff:approvals")).content.decode()

    page = client.get(url)
    assert page.status_code == 200
    # The leader it is with now is not offered again.
    assert list(page.context["form"].fields["leader"].queryset) == [deputy]

    response = client.post(url, {"leader": deputy.pk, "note": "原领导出差"})
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:petition", args=[petition.pk])
    petition.refresh_from_db()
    assert petition.approval_leader == deputy


def test_the_reassignment_page_keeps_what_was_typed_when_no_leader_is_chosen(client, world, deputy):
    petition = flow.awaiting_approval(world)
    client.force_login(world.staff)
    response = client.post(
        reverse("staff:reassign_approval", args=[petition.pk]), {"note": "原领导出差"}
    )
    assert response.status_code == 400
    assert "leader" in response.context["form"].errors
    assert "原领导出差" in response.content.decode()
    assert Petition.objects.get(pk=petition.pk).approval_leader == world.leader


def test_the_reassignment_page_shows_a_refusal_of_the_workflow(client, world, deputy):
    # Decided in another tab meanwhile: the page says so instead of failing.
    petition = flow.awaiting_approval(world)
    client.force_login(world.staff)
    url = reverse("staff:reassign_approval", args=[petition.pk])
    client.get(url)
    workflow.approve(petition_id=petition.pk, actor=world.leader)

    response = client.post(url, {"leader": deputy.pk})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert Petition.objects.get(pk=petition.pk).approval_leader == world.leader


def test_the_reassignment_page_of_a_settled_petition_offers_nothing(client, world):
    petition = flow.confirmed(world)
    client.force_login(world.staff)
    response = client.get(reverse("staff:reassign_approval", args=[petition.pk]))
    assert response.status_code == 200
    assert response.context["form"] is None


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_reassignment_page_is_for_the_task_force_of_the_jurisdiction(client, world, method):
    petition = flow.awaiting_approval(world)
    url = reverse("staff:reassign_approval", args=[petition.pk])
    client.force_login(world.foreign_staff)
    assert getattr(client, method)(url).status_code == 404
    for who in ("leader", "supervisor", "handler", "firm_user"):
        client.force_login(getattr(world, who))
        assert getattr(client, method)(url).status_code == 403
