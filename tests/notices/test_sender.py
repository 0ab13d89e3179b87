"""The delivery worker against a real SMTP server and a real SMS gateway on 127.0.0.1 that fail on
demand (docs/notices.md): nothing lost, nothing sent twice, failures retried with a growing delay,
permanent refusals given up at once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notices import outbox, sender
from notices.models import Channel, Delivery, Status
from tests.notices.gateway import SmsGateway
from tests.notices.smtp import SmtpSink
from tests.petitions import flow

pytestmark = pytest.mark.django_db


@pytest.fixture
def sink(settings):
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        yield sink


@pytest.fixture
def gateway(settings):
    with SmsGateway() as gateway:
        settings.SMS_URL = gateway.sms_url(timeout=2)
        yield gateway


def due_now() -> None:
    """Skip the wait before the next attempt (as if the backoff delay had passed)."""
    Delivery.objects.filter(status=Status.PENDING).update(next_attempt_at=timezone.now())


def statuses(channel: str) -> list[str]:
    return sorted(Delivery.objects.filter(channel=channel).values_list("status", flat=True))


def test_a_registration_mails_and_texts_the_firm_once(
    world, sink, gateway, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        petition = flow.registered(world)
    assert sorted(sink.recipients()) == sorted(
        {world.firm.email, world.firm_user.email, world.colleague.email}
    )
    assert set(sink.message_ids().values()) == {1}
    phones = {str(world.firm.contact_phone)} | {
        str(u.mobile) for u in (world.firm_user, world.colleague) if u.mobile
    }
    assert len(gateway.received) == len(phones)
    assert petition.number in gateway.received[0].text
    assert set(statuses(Channel.EMAIL)) == set(statuses(Channel.SMS)) == {Status.SENT}
    # A second sweep finds nothing to send.
    assert sender.deliver_due() == {}
    assert len(sink.messages) == 3
    assert len(gateway.received) == len(phones)


def test_mail_server_down_then_back_sends_each_mail_exactly_once(
    world, sink, gateway, django_capture_on_commit_callbacks
):
    sink.stop()
    with django_capture_on_commit_callbacks(execute=True):
        flow.registered(world)  # the firm's request succeeds while mail is down
    mails = Delivery.objects.filter(channel=Channel.EMAIL)
    assert {(d.status, d.attempts) for d in mails} == {(Status.PENDING, 1)}
    assert all(d.next_attempt_at > timezone.now() for d in mails)
    assert "mail server" in mails[0].reason
    assert sender.deliver_due() == {}  # not due yet: the backoff holds it back
    sink.start()
    due_now()
    assert sender.deliver_due()["sent"] == 3
    assert set(sink.message_ids().values()) == {1}
    assert statuses(Channel.EMAIL) == [Status.SENT] * 3
    assert sender.deliver_due() == {}


def test_a_temporary_refusal_is_retried_and_the_rest_of_the_batch_goes_on(
    world, sink, gateway, django_capture_on_commit_callbacks
):
    sink.fail_next(1)
    with django_capture_on_commit_callbacks(execute=True):
        flow.registered(world)
    assert statuses(Channel.EMAIL) == [Status.PENDING, Status.SENT, Status.SENT]
    due_now()
    sender.deliver_due()
    assert statuses(Channel.EMAIL) == [Status.SENT] * 3
    assert len(sink.messages) == 3
    assert set(sink.message_ids().values()) == {1}


def test_a_refused_mailbox_is_given_up_at_once(world, sink, django_capture_on_commit_callbacks):
    sink.refuse(world.firm_user.email)
    with django_capture_on_commit_callbacks(execute=True):
        flow.registered(world)
    refused = Delivery.objects.get(channel=Channel.EMAIL, address=world.firm_user.email)
    assert (refused.status, refused.attempts) == (Status.FAILED, 1)
    assert "refused" in refused.reason
    due_now()
    sender.deliver_due()
    refused.refresh_from_db()
    assert refused.attempts == 1


def test_the_sms_gateway_failing_is_retried_without_doubling(
    world, gateway, django_capture_on_commit_callbacks
):
    gateway.fail_next(1, 503)
    with django_capture_on_commit_callbacks(execute=True):
        flow.registered(world)
    first = list(Delivery.objects.filter(channel=Channel.SMS, status=Status.PENDING))
    assert first
    assert "SMS gateway" in first[0].reason
    gateway.fail_next(1, "close")
    due_now()
    sender.deliver_due()
    due_now()
    sender.deliver_due()
    assert set(statuses(Channel.SMS)) == {Status.SENT}
    assert set(gateway.keys().values()) == {1}
    assert set(gateway.keys()) == set(
        Delivery.objects.filter(channel=Channel.SMS).values_list("key", flat=True)
    )


def test_a_permanent_sms_refusal_is_not_retried(world, gateway, django_capture_on_commit_callbacks):
    gateway.fail_next(5, 400, message="invalid number")
    with django_capture_on_commit_callbacks(execute=True):
        flow.registered(world)
    assert set(statuses(Channel.SMS)) == {Status.FAILED}
    assert "invalid number" in Delivery.objects.filter(channel=Channel.SMS).first().reason


def test_a_delivery_that_keeps_failing_is_given_up_after_the_last_attempt(
    world, gateway, django_capture_on_commit_callbacks
):
    gateway.fail_fraction(1.0, 503)
    with django_capture_on_commit_callbacks(execute=True):
        flow.registered(world)
    for _ in range(sender.MAX_ATTEMPTS):
        due_now()
        sender.deliver_due()
    row = Delivery.objects.filter(channel=Channel.SMS).first()
    assert (row.status, row.attempts) == (Status.FAILED, sender.MAX_ATTEMPTS)
    assert gateway.received == []


def test_the_delay_grows_between_attempts():
    assert [sender.backoff(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [
        30,
        60,
        120,
        3600,
        3600,
    ]


def test_a_claim_whose_worker_died_is_sent_once_its_lease_ends(world, gateway):
    petition = flow.registered(world)  # no commit callbacks: the rows wait for the worker
    claimed = sender.claim()
    assert {d.status for d in Delivery.objects.filter(pk__in=[d.pk for d in claimed])} == {
        Status.SENDING
    }
    # The worker is killed here. Another worker leaves the claimed rows alone …
    assert sender.deliver_due() == {}
    # … until the lease ends; then they go out once.
    Delivery.objects.filter(status=Status.SENDING).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    sender.deliver_due()
    assert set(gateway.keys().values()) == {1}
    assert Delivery.objects.filter(petition=petition, status=Status.SENT).exists()


def test_telling_the_same_occasion_twice_writes_nothing_more(world):
    recipients = outbox.firm(world.firm)
    first = outbox.tell(
        "firm.verified", recipients, source="test:1", context={"name": world.firm.name}
    )
    rows = Delivery.objects.count()
    again = outbox.tell(
        "firm.verified", recipients, source="test:1", context={"name": world.firm.name}
    )
    assert Delivery.objects.count() == rows
    assert sorted(again) == sorted(first)  # still pending, the same rows


def test_nobody_to_tell_is_recorded_not_lost(world):
    outbox.tell("tf.return", [], source="test:2", context={"number": "ZQ1", "unit": "x"})
    row = Delivery.objects.get(key__startswith="test:2:")
    assert row.status == Status.SKIPPED
    assert "No one to tell" in row.reason


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_at_once_send_each_notice_once(world, gateway):
    import threading

    from django.db import connection

    for n in range(60):
        outbox.tell(
            "firm.verified",
            outbox.firm(world.firm),
            source=f"race:{n}",
            context={"name": world.firm.name},
        )
    # Outside a test transaction the eager task sent them at once: put them back in the queue.
    Delivery.objects.filter(channel__in=[Channel.SMS, Channel.EMAIL]).update(
        status=Status.PENDING, attempts=0
    )
    gateway.reset()
    expected = Delivery.objects.filter(channel=Channel.SMS, status=Status.PENDING).count()
    assert expected == 60
    errors: list[BaseException] = []

    def work() -> None:
        try:
            sender.deliver_due(limit=7)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # A call the gateway dropped under the load waits for its retry: send the rest now.
    for _ in range(3):
        due_now()
        sender.deliver_due()
    assert len(gateway.received) == expected
    assert set(gateway.keys().values()) == {1}


def test_a_code_is_erased_from_the_log_once_its_message_went(world, gateway):
    world.firm_user.mobile = "+8613900139000"
    world.firm_user.save(update_fields=["mobile"])
    outbox.tell(
        "account.code",
        [outbox.person(world.firm_user)],
        source="code:test",
        context={"code": "654321", "minutes": "10"},
    )
    row = Delivery.objects.get(key__startswith="code:test:")
    assert "654321" in row.body  # the worker needs it until the gateway took it
    sender.deliver_due()
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert row.body == ""
    assert "654321" in gateway.received[0].text


def test_a_task_sends_its_own_deliveries_and_leaves_the_rest_to_the_sweep(world, gateway):
    for n in range(3):
        outbox.tell(
            "firm.verified", outbox.firm(world.firm), source=f"burst:{n}", context={"name": "x"}
        )
    first = Delivery.objects.filter(key__startswith="burst:0:", channel=Channel.SMS).get()
    assert sender.deliver([first.pk]) == {"sent": 1}
    assert len(gateway.received) == 1
    sender.deliver_due()
    assert len(gateway.received) == 3
