"""重复件 across firms: the firm learns that its request joined a case already being handled, and by
whom, never the other firm's petition (its number, title or text). Same-firm duplicates still name
the number: the firm owns both.
"""

import pytest
from django.core import mail
from django.urls import reverse

from petitions import workflow
from petitions.models import Channel, Notification, Petition, PetitionType, State
from tests.petitions import flow

pytestmark = pytest.mark.django_db

SECRET_TITLE = "乙公司厂区地块规划调整"
SECRET_CONTENT = "乙公司拟扩建二期厂房，涉及地块规划调整，内含商业计划细节。"


def other_firms_petition(world, *, to: str = State.ASSIGNED) -> Petition:
    """Another firm's petition, walked through the workflow up to `to`."""
    petition = workflow.register(
        actor=world.other_firm_user,
        enterprise=world.other_firm,
        channel=Channel.PORTAL,
        type=PetitionType.COMPLAINT,
        title=SECRET_TITLE,
        content=SECRET_CONTENT,
        theme_id=world.theme.pk,
    )
    workflow.accept(petition_id=petition.pk, actor=world.staff)
    if to == State.ACCEPTED:
        return Petition.objects.get(pk=petition.pk)
    workflow.propose(petition_id=petition.pk, actor=world.staff, unit=world.dept)
    workflow.confirm(petition_id=petition.pk, actor=world.handler)
    if to == State.CONFIRMED:
        return Petition.objects.get(pk=petition.pk)
    return workflow.issue_transfer_letter(petition_id=petition.pk, actor=world.staff)


def merge(world, duplicate, original, note=""):
    return workflow.mark_duplicate(
        petition_id=duplicate.pk, actor=world.staff, original_id=original.pk, note=note
    )


def assert_nothing_of(original: Petition, text: str) -> None:
    assert original.number not in text
    assert SECRET_TITLE not in text
    assert SECRET_CONTENT not in text
    assert world_other_firm_name(original) not in text


def world_other_firm_name(original: Petition) -> str:
    return original.enterprise.name


@pytest.fixture
def merged(world, django_capture_on_commit_callbacks):
    original = other_firms_petition(world)
    duplicate = flow.registered(world)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        duplicate = merge(world, duplicate, original)
    return duplicate, original


def test_the_firm_visible_event_names_the_handling_unit_not_the_other_petition(world, merged):
    duplicate, original = merged
    event = duplicate.events.get(action="mark_duplicate")
    assert event.visible_to_firm
    assert_nothing_of(original, event.note)
    assert world.dept.name in event.note
    # The link itself is kept for the staff.
    assert duplicate.state == State.DUPLICATE
    assert duplicate.duplicate_of == original


def test_the_firms_notice_and_mail_do_not_name_the_other_petition(world, merged):
    duplicate, original = merged
    notices = Notification.objects.filter(petition=duplicate, event__action="mark_duplicate")
    assert {n.user for n in notices} == {world.firm_user, world.colleague}
    for notice in notices:
        assert_nothing_of(original, f"{notice.title} {notice.body}")
        assert world.dept.name in notice.body
    assert mail.outbox
    for message in mail.outbox:
        assert_nothing_of(original, f"{message.subject} {message.body}")
    assert world.dept.name in mail.outbox[0].body


def test_the_portal_detail_page_names_the_handling_unit_only(client, world, merged):
    duplicate, original = merged
    client.force_login(world.firm_user)

    page = client.get(reverse("portal:petition", args=[duplicate.pk])).content.decode()

    assert_nothing_of(original, page)
    assert world.dept.name in page
    assert reverse("portal:petition", args=[original.pk]) not in page


def test_the_portal_list_does_not_name_the_other_petition(client, world, merged):
    duplicate, original = merged
    client.force_login(world.firm_user)

    page = client.get(reverse("portal:petitions")).content.decode()

    assert duplicate.number in page
    assert_nothing_of(original, page)


def test_the_notification_list_does_not_name_the_other_petition(client, world, merged):
    duplicate, original = merged
    client.force_login(world.firm_user)

    page = client.get(reverse("portal:notifications")).content.decode()

    assert duplicate.number in page
    assert_nothing_of(original, page)


def test_an_original_not_yet_assigned_is_with_the_task_force(
    client, world, django_capture_on_commit_callbacks
):
    # Accepted, or confirmed by a unit but without the transfer letter: not handed over yet.
    for state in (State.ACCEPTED, State.CONFIRMED):
        original = other_firms_petition(world, to=state)
        duplicate = merge(world, flow.registered(world), original)
        note = duplicate.events.get(action="mark_duplicate").note
        assert_nothing_of(original, note)
        assert world.dept.name not in note
        assert "task force" in note or "工作专班" in note


def test_the_detail_page_follows_the_original_once_it_is_assigned(client, world):
    original = other_firms_petition(world, to=State.CONFIRMED)
    duplicate = merge(world, flow.registered(world), original)
    client.force_login(world.firm_user)
    url = reverse("portal:petition", args=[duplicate.pk])
    assert world.dept.name not in client.get(url).content.decode()

    workflow.issue_transfer_letter(petition_id=original.pk, actor=world.staff)

    page = client.get(url).content.decode()
    assert world.dept.name in page
    assert_nothing_of(original, page)


def test_the_other_firm_does_not_learn_of_the_duplicate(client, world, merged):
    duplicate, original = merged
    received = original.events.get(action="duplicate_received")
    assert not received.visible_to_firm
    client.force_login(world.other_firm_user)
    page = client.get(reverse("portal:petition", args=[original.pk])).content.decode()
    assert duplicate.number not in page
    assert not Notification.objects.filter(user=world.other_firm_user, event=received).exists()


def test_the_staff_still_see_both_numbers(client, world, merged):
    duplicate, original = merged
    client.force_login(world.staff)
    page = client.get(reverse("staff:petition", args=[duplicate.pk])).content.decode()
    assert original.number in page


def test_a_same_firm_duplicate_still_names_the_original(
    client, world, django_capture_on_commit_callbacks
):
    original = flow.assigned(world)
    duplicate = flow.registered(world)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        duplicate = merge(world, duplicate, original)

    assert original.number in duplicate.events.get(action="mark_duplicate").note
    assert any(original.number in m.body for m in mail.outbox)
    client.force_login(world.firm_user)
    page = client.get(reverse("portal:petition", args=[duplicate.pk])).content.decode()
    assert original.number in page
    assert reverse("portal:petition", args=[original.pk]) in page


def test_the_task_forces_own_note_goes_to_the_firm_after_the_message(world):
    original = other_firms_petition(world)
    duplicate = merge(world, flow.registered(world), original, note="如有新情况请补充材料。")
    note = duplicate.events.get(action="mark_duplicate").note
    assert note.endswith("如有新情况请补充材料。")
    assert world.dept.name in note
