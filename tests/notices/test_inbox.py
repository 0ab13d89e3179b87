"""Officials read their in-app notices (docs/notices.md: in-app for every role)."""

import pytest
from django.urls import reverse

from petitions import workflow
from petitions.models import Notification
from tests.petitions import flow

pytestmark = pytest.mark.django_db

INBOX = "/notices/inbox/"


def test_a_handler_reads_the_proposal_notice_and_opens_the_petition(client, world):
    petition = flow.accepted(world)
    workflow.propose(petition_id=petition.pk, actor=world.staff, unit=world.dept)
    notice = Notification.objects.get(user=world.handler, kind="unit.proposal")
    client.force_login(world.handler)
    assert INBOX in client.get(reverse("handler:inbox")).content.decode()  # in the navigation
    page = client.get(INBOX)
    assert page.status_code == 200
    assert notice.title in page.content.decode()
    assert "fw-bold" in page.content.decode()  # unread
    opened = client.get(reverse("notices:open", args=[notice.pk]))
    assert opened.status_code == 302
    assert opened["Location"] == reverse("handler:petition", args=[petition.pk])
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert "fw-bold" not in client.get(INBOX).content.decode()


def test_a_leader_marks_every_notice_read(client, world):
    flow.awaiting_approval(world)
    assert Notification.objects.filter(user=world.leader).unread().exists()
    client.force_login(world.leader)
    response = client.post(reverse("notices:read_all"), follow=True)
    assert response.redirect_chain[-1][0] == INBOX
    assert not Notification.objects.filter(user=world.leader).unread().exists()


def test_nobody_opens_another_persons_notice(client, world):
    petition = flow.accepted(world)
    workflow.propose(petition_id=petition.pk, actor=world.staff, unit=world.dept)
    notice = Notification.objects.get(user=world.handler, kind="unit.proposal")
    for who in (world.other_handler, world.staff, world.leader, world.firm_user):
        client.force_login(who)
        assert client.get(reverse("notices:open", args=[notice.pk])).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_a_link_off_the_site_is_not_followed(client, world):
    notice = Notification.objects.create(
        user=world.staff, title="t", link="https://evil.example/phish"
    )
    client.force_login(world.staff)
    response = client.get(reverse("notices:open", args=[notice.pk]))
    assert response["Location"] == INBOX


def test_a_firm_is_sent_to_its_portal_page_and_a_stranger_to_the_login(client, world):
    client.force_login(world.firm_user)
    assert client.get(INBOX)["Location"] == reverse("portal:notifications")
    client.logout()
    assert reverse("login") in client.get(INBOX)["Location"]


def test_marking_all_read_takes_a_post(client, world):
    client.force_login(world.staff)
    assert client.get(reverse("notices:read_all")).status_code == 405
