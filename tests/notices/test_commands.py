"""`manage.py deliver_notices`: send what is due by hand (the worker's sweep, e.g. while the broker is
down); a second run sends nothing more (docs/conventions.md C7).

`purge_import_uploads` is tested in tests/petitions/test_imports.py, `setup_roles` in test_roles.py,
`load_demo` in test_demo.py."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from notices.models import Delivery, Status
from petitions.models import Notification
from tests.petitions import flow

pytestmark = pytest.mark.django_db


def deliver(*args: str) -> str:
    out = StringIO()
    call_command("deliver_notices", *args, stdout=out)
    return out.getvalue().strip()


def test_deliver_notices_sends_each_pending_notice_once(world):
    # Inside the test transaction the on-commit task never runs: the notices stay pending, as when
    # the broker was down at the time.
    petition = flow.registered(world)
    assert Delivery.objects.filter(petition=petition, status=Status.PENDING).count() == 4
    mail.outbox.clear()
    assert deliver() == "sent 4, failed 0, skipped 0"
    assert len(mail.outbox) == 3
    notifications = Notification.objects.filter(petition=petition).count()
    # Running it again sends nothing.
    assert deliver("--budget", "5") == "sent 0, failed 0, skipped 0"
    assert len(mail.outbox) == 3
    assert Notification.objects.filter(petition=petition).count() == notifications


def test_deliver_notices_refuses_an_unknown_argument():
    with pytest.raises(CommandError, match="unrecognized arguments: --on 2026-11-25"):
        call_command("deliver_notices", "--on", "2026-11-25", stdout=StringIO())
