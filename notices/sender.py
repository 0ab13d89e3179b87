"""The delivery worker: claim due deliveries, hand each to its channel, record what happened
(docs/notices.md).

Exactly once, as far as a channel allows: a row is claimed atomically (FOR UPDATE SKIP LOCKED, then
marked `sending` with a lease), marked `sent` only after the channel accepted it, and put back with
a growing delay when the channel failed. Only a worker killed between the channel's acceptance and
the `sent` mark can send a row again once its lease ends; the delivery key travels with the message
(Message-ID, the SMS gateway's idempotency key) so the receiving side can drop that copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import smtplib
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from notices import sms
from notices.catalogue import KINDS
from notices.models import Channel, Delivery, Status
from notices.sms.base import SmsPermanentError, SmsTemporaryError
from petitions.models import State

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8  # with the delays below: about two hours of retries
BATCH = 200


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … up to one hour between attempts."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def claim(
    *, ids: list[int] | None = None, limit: int = BATCH, now: datetime | None = None
) -> list[Delivery]:
    """Take up to `limit` due deliveries for this worker; nobody else gets them until the lease ends."""
    now = now or timezone.now()
    due = Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Status.SENDING, lease_until__lt=now
    )
    with transaction.atomic():
        rows = Delivery.objects.select_for_update(skip_locked=True).filter(due)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        picked = list(rows.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
        Delivery.objects.filter(pk__in=picked).update(
            status=Status.SENDING, lease_until=now + LEASE, attempts=F("attempts") + 1
        )
    return list(Delivery.objects.filter(pk__in=picked).select_related("petition").order_by("pk"))


@contextmanager
def _quick_commit() -> Iterator[None]:
    """The mark of one row in its own short transaction that does not wait for the disk flush on
    PostgreSQL: a database crash can lose the last marks, and those messages then go again under
    the same key (docs/notices.md, "The delivery record"); a commit per row otherwise costs half the
    worker's time."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        yield


def _settled(row: Delivery) -> dict:
    """A code is kept only until its message is settled: the log then shows that it went, not the code."""
    kind = KINDS.get(row.kind)
    return {"body": "", "subject": row.subject} if kind is not None and kind.secret else {}


def _sent(row: Delivery, ref: str = "") -> None:
    with _quick_commit():
        Delivery.objects.filter(pk=row.pk, status=Status.SENDING).update(
            status=Status.SENT,
            sent_at=timezone.now(),
            lease_until=None,
            provider_ref=(ref or "")[:100],
            reason="",
            **_settled(row),
        )


def _failed(row: Delivery, reason: str, *, permanent: bool) -> None:
    give_up = permanent or row.attempts >= MAX_ATTEMPTS
    with _quick_commit():
        Delivery.objects.filter(pk=row.pk, status=Status.SENDING).update(
            status=Status.FAILED if give_up else Status.PENDING,
            next_attempt_at=timezone.now() + backoff(row.attempts),
            lease_until=None,
            reason=reason[:300],
            **(_settled(row) if give_up else {}),
        )
    log.warning(
        "delivery %s failed (%s, attempt %d): %s", row.key, row.channel, row.attempts, reason
    )


def _skipped(row: Delivery, reason: str) -> None:
    Delivery.objects.filter(pk=row.pk, status=Status.SENDING).update(
        status=Status.SKIPPED, lease_until=None, reason=reason, **_settled(row)
    )


def _still_due(row: Delivery) -> bool:
    """A leader is told of an approval only while it still waits for that leader."""
    if row.kind != "leader.approval" or row.petition is None:
        return True
    petition = row.petition
    return petition.state == State.AWAITING_APPROVAL and petition.approval_leader_id == row.user_id


def _message_id(key: str) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "zqztc.local"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def _send_email(rows: list[Delivery], outcome: Counter) -> None:
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        for row in rows:
            _failed(row, f"mail server: {exc}", permanent=False)
        outcome["failed"] += len(rows)
        return
    try:
        for row in rows:
            message = EmailMessage(
                row.subject,
                row.body,
                to=[row.address],
                connection=connection,
                headers={"Message-ID": _message_id(row.key), "X-ZQZTC-Delivery": row.key},
            )
            try:
                message.send()
            except smtplib.SMTPRecipientsRefused as exc:
                _failed(row, f"address refused: {exc}", permanent=True)
                outcome["failed"] += 1
            except smtplib.SMTPDataError as exc:
                # The server answered and the session goes on (smtplib resets it): 4xx is "later",
                # 5xx refuses this message for good.
                _failed(row, f"mail server: {exc}", permanent=exc.smtp_code >= 500)
                outcome["failed"] += 1
            except (OSError, smtplib.SMTPException) as exc:
                _failed(row, f"mail server: {exc}", permanent=False)
                outcome["failed"] += 1
                # The connection may be gone: a fresh one for the rest of the batch.
                connection.close()
                with contextlib.suppress(OSError, smtplib.SMTPException):
                    connection.open()
            else:
                _sent(row)
                outcome["sent"] += 1
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.close()


def _send_sms(rows: list[Delivery], outcome: Counter) -> None:
    backend = sms.get_backend()
    for row in rows:
        try:
            ref = backend.send(row.address, row.body, key=row.key)
        except SmsPermanentError as exc:
            _failed(row, f"SMS refused: {exc}", permanent=True)
            outcome["failed"] += 1
        except (SmsTemporaryError, OSError) as exc:
            _failed(row, f"SMS gateway: {exc}", permanent=False)
            outcome["failed"] += 1
        else:
            _sent(row, ref)
            outcome["sent"] += 1


def send_claimed(rows: list[Delivery]) -> Counter:
    outcome: Counter = Counter()
    by_channel: dict[str, list[Delivery]] = {}
    for row in rows:
        if not _still_due(row):
            _skipped(row, "No longer waits for this person.")
            outcome["skipped"] += 1
        elif row.channel == Channel.INAPP:
            _sent(row)  # written at once by the outbox; only a crash in between leaves one here
            outcome["sent"] += 1
        else:
            by_channel.setdefault(row.channel, []).append(row)
    if by_channel.get(Channel.EMAIL):
        _send_email(by_channel[Channel.EMAIL], outcome)
    if by_channel.get(Channel.SMS):
        _send_sms(by_channel[Channel.SMS], outcome)
    return outcome


def deliver(ids: list[int] | None = None, *, limit: int = BATCH) -> Counter:
    """One batch: the given deliveries (those still due) or the oldest due ones. A task sends only
    its own occasion's rows; what else is due waits for the minute's sweep."""
    return send_claimed(claim(ids=ids, limit=limit))


def deliver_due(*, budget: float = 50.0, limit: int = BATCH) -> Counter:
    """Send what is due, batch after batch, for at most `budget` seconds (the beat runs it every minute)."""
    total: Counter = Counter()
    started = time.monotonic()
    while time.monotonic() - started < budget:
        outcome = deliver(limit=limit)
        total.update(outcome)
        if sum(outcome.values()) < limit:
            break
    return total
