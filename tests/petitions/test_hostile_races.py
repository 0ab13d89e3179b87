"""Two people doing the same thing at once get the form's own message, not a server error.

Two staff registering the same 12345 ticket: both pass the "already registered?" check, then the
unique constraint on (channel, channel_ref) stops the second insert. workflow.register catches that
inside a savepoint and raises the check's own refusal.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from petitions import workflow
from petitions.models import Channel, Petition, PetitionNumber, PetitionType, Role
from tests.factories import member
from tests.petitions import flow

TICKET = "12345-20260302-0001"


def waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_staff_registering_the_same_12345_ticket_at_once_the_second_is_told_it_is_taken(
    world,
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    received_at = timezone.localtime() - timedelta(hours=2)
    data = {
        "enterprise": world.firm.pk,
        "channel": Channel.HOTLINE_12345,
        "channel_ref": TICKET,
        "received_at": received_at.strftime("%Y-%m-%dT%H:%M"),
        "type": PetitionType.CONSULTATION,
        "title": "贷款贴息政策咨询",
        "content": "企业想了解技改贷款贴息的申请条件。",
    }
    clients = []
    for user in (world.staff, member(world.task_force_unit, Role.TASK_FORCE, username="staff2")):
        client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
        client.force_login(user)
        clients.append(client)
    responses = []

    def post(client: Client) -> None:
        try:
            responses.append(client.post(reverse("staff:register"), data))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    PetitionNumber.objects.get_or_create(year=received_at.year)
    # Hold the year's number counter: both requests pass the duplicate check, then wait here,
    # so the second insert meets the first one's committed row.
    with transaction.atomic():
        PetitionNumber.objects.select_for_update().get(year=received_at.year)
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while waiting_for_a_lock() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waiting_for_a_lock() >= 2, "both requests should be waiting for the counter"
    for t in threads:
        t.join(timeout=30)

    assert sorted(r.status_code for r in responses) == [302, 400]
    loser = next(r for r in responses if r.status_code == 400)
    assert loser.context["form"].errors["channel_ref"] == [
        f"A petition with reference {TICKET} from this channel is already registered."
    ]
    assert "贷款贴息政策咨询" in loser.content.decode()  # typed values kept
    assert Petition.objects.filter(channel_ref=TICKET).count() == 1
    # The loser's number was rolled back with its transaction: no gap in the numbering.
    assert PetitionNumber.objects.get(year=received_at.year).last == 1


@pytest.mark.django_db
def test_a_clash_on_anything_but_the_ticket_is_not_reported_as_a_taken_ticket(world):
    flow.registered(world)
    PetitionNumber.objects.update(last=0)  # the next number is one already given
    with pytest.raises(IntegrityError):
        workflow.register(
            actor=world.staff,
            enterprise=world.firm,
            channel=Channel.HOTLINE_12345,
            channel_ref=TICKET,
            type=PetitionType.CONSULTATION,
            title="标题",
            content="内容",
        )
