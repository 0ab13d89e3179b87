"""Write the notices of one occasion: the in-app notice at once, and one pending delivery per
(recipient, channel) for the worker (docs/notices.md).

Called inside the transaction of the action it tells of, so the action and its deliveries commit
or vanish together; the unique key makes a second call for the same occasion write nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from notices import tasks
from notices.catalogue import KINDS, Kind
from notices.models import Channel, Delivery, OptOut, Status
from petitions.models import Enterprise, Notification, Petition, PetitionEvent, User
from zqztc import queue

SMS_CLIP = 60  # characters of free text (a reason, a note) carried in an SMS


@dataclass(frozen=True)
class Recipient:
    """One person (or a firm without an account) with the addresses to use."""

    user: User | None = None
    enterprise: Enterprise | None = None
    email: str = ""
    phone: str = ""

    @property
    def label(self) -> str:
        if self.user is not None:
            return self.user.get_full_name() or self.user.username
        return str(self.enterprise or "")


def _e164(phone: object) -> str:
    """The number as +86…, whatever format the field displays in."""
    return getattr(phone, "as_e164", "") or str(phone or "")


def person(user: User) -> Recipient:
    return Recipient(user=user, email=user.email or "", phone=_e164(user.mobile))


def firm(enterprise: Enterprise) -> list[Recipient]:
    """Each active account of the firm, then the firm's registered phone and e-mail (the official
    contact, and the only one of an imported firm with no account yet, docs/notices.md). An address
    shared by both is used once (tell() keys by address)."""
    accounts = [a for a in enterprise.accounts.all() if a.is_active]
    email, phone = enterprise.email or "", _e164(enterprise.contact_phone)
    # An account without an address of its own is reached at the firm's.
    people = [
        Recipient(
            user=account,
            enterprise=enterprise,
            email=account.email or email,
            phone=_e164(account.mobile) or phone,
        )
        for account in accounts
    ]
    registered = Recipient(enterprise=enterprise, email=email, phone=phone)
    return [*people, registered]


def clip(text: str, limit: int = SMS_CLIP) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _key(source: str, kind: str, channel: str, who: str) -> str:
    key = f"{source}:{kind}:{channel}:{who}"
    if len(key) > 200:  # an e-mail address can be long: keep the key unique and bounded
        key = f"{source}:{kind}:{channel}:h{hashlib.sha256(who.encode()).hexdigest()[:32]}"
    return key


def _opted_out(recipients: list[Recipient], kind: Kind) -> set[tuple[int | None, str]]:
    """(user id, channel) turned off; (None, channel) when every account of the firm turned the
    channel off, so its registered address stays quiet too."""
    users = [r.user for r in recipients if r.user is not None]
    if kind.mandatory or not users:
        return set()
    off: set[tuple[int | None, str]] = set(
        OptOut.objects.filter(user__in=users, kind=kind.code).values_list("user_id", "channel")
    )
    for channel in (Channel.EMAIL, Channel.SMS):
        if all((user.pk, channel) in off for user in users):
            off.add((None, channel))
    return off


def _render(kind: Kind, context: dict) -> tuple[str, str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        full = {**context, "kind": kind, "label": str(kind.label), "site_url": settings.SITE_URL}
        sms = str(kind.sms) % {k: v for k, v in context.items() if isinstance(v, str | int)}
        subject = render_to_string("emails/notice_subject.txt", full).strip()
        body = render_to_string("emails/notice.txt", {**full, "sms": sms})
    return subject, body, sms


def tell(
    code: str,
    recipients: Iterable[Recipient],
    *,
    source: str,
    context: dict,
    petition: Petition | None = None,
    event: PetitionEvent | None = None,
    link: str = "",
) -> list[int]:
    """Record the notice `code` for each recipient on each of its channels; returns the ids of the
    deliveries left for the worker, which is asked to send them once the transaction commits."""
    with transaction.atomic():  # usually already inside the caller's transaction
        return _tell(code, list(recipients), source, context, petition, event, link)


def _tell(
    code: str,
    recipients: list[Recipient],
    source: str,
    context: dict,
    petition: Petition | None,
    event: PetitionEvent | None,
    link: str,
) -> list[int]:
    kind = KINDS[code]
    context = {"link": link, **context}
    subject, body, sms = _render(kind, context)
    off = _opted_out(recipients, kind)
    rows: list[Delivery] = []
    if not recipients:
        rows.append(
            Delivery(
                key=_key(source, code, "none", "nobody"),
                kind=code,
                channel=Channel.INAPP,
                petition=petition,
                event=event,
                subject=subject,
                status=Status.SKIPPED,
                reason=gettext_noop("No one to tell: no active account for this audience."),
            )
        )
    seen: set[tuple[str, str]] = set()
    with_accounts = any(r.user is not None for r in recipients)
    for recipient in recipients:
        for channel in kind.channels:
            row = _row(kind, channel, recipient, off, subject, body, sms, seen, with_accounts)
            if row is None:
                continue
            row.key = _key(source, code, channel, row.key)
            row.petition, row.event = petition, event
            rows.append(row)
    created = Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    # The portal notice carries the whole note; the SMS line only a clipped one.
    text = context.get("full_note") or sms
    _inapp(kind, [r for r in created if r.channel == Channel.INAPP], subject, text, link)
    pending = list(
        Delivery.objects.filter(key__in=[r.key for r in rows], status=Status.PENDING).values_list(
            "pk", flat=True
        )
    )
    if pending:
        queue.on_commit(tasks.deliver, pending)
    return pending


def _row(
    kind: Kind,
    channel: str,
    recipient: Recipient,
    off: set[tuple[int | None, str]],
    subject: str,
    body: str,
    sms: str,
    seen: set[tuple[str, str]],
    with_accounts: bool,
) -> Delivery | None:
    """One delivery row, its key holding only the recipient part for now; None when there is
    nothing to record (a duplicate address, or no portal inbox / no address of a firm that has
    accounts to tell)."""
    user = recipient.user
    address = {"email": recipient.email, "sms": recipient.phone}.get(channel, "")
    row = Delivery(
        kind=kind.code,
        channel=channel,
        user=user,
        enterprise=recipient.enterprise,
        address=address,
        subject=subject,
        body=body if channel == Channel.EMAIL else sms,
    )
    if channel == Channel.INAPP:
        if user is None:
            return None  # the firm's registered contact has no portal inbox
        row.key = f"u{user.pk}"
    elif (user.pk if user else None, channel) in off:
        # Keyed by person, not address: a colleague sharing the number is still told.
        row.key, row.status = f"u{user.pk if user else 0}-off", Status.SKIPPED
        row.reason = gettext_noop("Turned off by the recipient.")
        return row
    elif not address:
        if user is None and with_accounts:
            return None  # the firm has accounts; their own addresses are in the log
        row.key, row.status = (
            f"u{user.pk}" if user else f"e{getattr(recipient.enterprise, 'pk', 0)}",
            Status.SKIPPED,
        )
        row.reason = (
            gettext_noop("No phone number.")
            if channel == Channel.SMS
            else gettext_noop("No e-mail address.")
        )
    else:
        row.key = address  # the same message never goes twice to one phone or mailbox
    if (channel, row.key) in seen:
        return None
    seen.add((channel, row.key))
    return row


def _inapp(kind: Kind, rows: list[Delivery], title: str, text: str, link: str) -> None:
    """In-app notices are delivered by writing them: the delivery row is sent at once."""
    if not rows:
        return
    # bulk_create with ignore_conflicts does not say which rows were new: ask again.
    fresh = list(
        Delivery.objects.filter(
            key__in=[r.key for r in rows], status=Status.PENDING, channel=Channel.INAPP
        ).select_for_update()
    )
    # ignore_conflicts: one notice per person and event even when two kinds of one event reach them.
    Notification.objects.bulk_create(
        (
            Notification(
                user_id=row.user_id or 0,  # in-app rows always have a person
                petition_id=row.petition_id,
                event_id=row.event_id,
                kind=kind.code,
                title=title[:200],
                body=text,
                link=link,
            )
            for row in fresh
        ),
        ignore_conflicts=True,
    )
    Delivery.objects.filter(pk__in=[r.pk for r in fresh]).update(
        status=Status.SENT, sent_at=timezone.now(), attempts=1
    )
