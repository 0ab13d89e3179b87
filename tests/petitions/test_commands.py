"""`manage.py flush_notices`: queue again the firm notices that could not be queued when their event was
written (the broker was down); a second run sends nothing more (docs/conventions.md C7).

`purge_import_uploads` is tested in test_imports.py, `setup_roles` in test_roles.py, `load_demo` in
test_demo.py."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from petitions.models import Notification, PetitionEvent
from tests.petitions import flow

pytestmark = pytest.mark.django_db


def flush() -> str:
    out = StringIO()
    call_command("flush_notices", stdout=out)
    return out.getvalue().strip()


def test_flush_notices_sends_each_pending_notice_once(world):
    # Inside the test transaction the on-commit queueing never runs: the notice stays pending,
    # as when the broker was down at the time.
    petition = flow.registered(world)
    event = petition.events.get(action="register")
    assert event.notified_at is None
    PetitionEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    mail.outbox.clear()
    assert flush() == "queued 1"
    event.refresh_from_db()
    assert event.notified_at is not None
    assert len(mail.outbox) == 1
    assert world.firm.email in mail.outbox[0].to
    notifications = Notification.objects.filter(event=event).count()
    # Running it again queues and sends nothing.
    assert flush() == "queued 0"
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(event=event).count() == notifications


def test_flush_notices_leaves_fresh_notices_to_their_own_task(world):
    petition = flow.registered(world)
    mail.outbox.clear()
    assert flush() == "queued 0"
    assert petition.events.get(action="register").notified_at is None
    assert mail.outbox == []


def test_flush_notices_skips_events_the_firm_does_not_see(world):
    petition = flow.registered(world)
    PetitionEvent.objects.filter(petition=petition).update(
        visible_to_firm=False, created_at=timezone.now() - timedelta(minutes=5)
    )
    mail.outbox.clear()
    assert flush() == "queued 0"
    assert mail.outbox == []


def test_flush_notices_takes_no_arguments():
    with pytest.raises(CommandError, match="unrecognized arguments: --on 2026-11-25"):
        call_command("flush_notices", "--on", "2026-11-25", stdout=StringIO())
