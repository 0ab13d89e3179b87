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
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from notices.catalogue import KINDS, Kind
from notices.models import Channel, Delivery, OptOut, Status
from petitions.models import Enterprise, Notification, Petition, PetitionEvent, User

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


def person(user: User) -> Recipient:
    return Recipient(user=user, email=user.email or "", phone=str(user.mobile or ""))


def firm(enterprise: Enterprise) -> list[Recipient]:
    """Each active account of the firm, falling back to the firm's registered phone and e-mail;
    the firm itself when it has no account yet (imported firms, docs/notices.md)."""
    accounts = [a for a in enterprise.accounts.all() if a.is_active]
    phone = str(enterprise.contact_phone or "")
    if not accounts:
        return [Recipient(enterprise=enterprise, email=enterprise.email or "", phone=phone)]
    return [
        Recipient(
            user=account,
            enterprise=enterprise,
            email=account.email or enterprise.email or "",
            phone=str(account.mobile or "") or phone,
        )
        for account in accounts
    ]


def clip(text: str, limit: int = SMS_CLIP) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _key(source: str, kind: str, channel: str, who: str) -> str:
    key = f"{source}:{kind}:{channel}:{who}"
    if len(key) > 200:  # an e-mail address can be long: keep the key unique and bounded
        key = f"{source}:{kind}:{channel}:h{hashlib.sha256(who.encode()).hexdigest()[:32]}"
    return key


def _opted_out(users: list[User], kind: Kind) -> set[tuple[int, str]]:
    if kind.mandatory or not users:
        return set()
    return set(
        OptOut.objects.filter(user__in=users, kind=kind.code).values_list("user_id", "channel")
    )


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
    kind = KINDS[code]
    recipients = list(recipients)
    context = {"link": link, **context}
    subject, body, sms = _render(kind, context)
    off = _opted_out([r.user for r in recipients if r.user is not None], kind)
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
    for recipient in recipients:
        for channel in kind.channels:
            row = _row(kind, channel, recipient, off, subject, body, sms, seen)
            if row is None:
                continue
            row.key = _key(source, code, channel, row.key)
            row.petition, row.event = petition, event
            rows.append(row)
    created = Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    _inapp(kind, [r for r in created if r.channel == Channel.INAPP], subject, sms, link)
    pending = list(
        Delivery.objects.filter(key__in=[r.key for r in rows], status=Status.PENDING).values_list(
            "pk", flat=True
        )
    )
    if pending:
        from notices import tasks  # the tasks import the sender, which imports this module
        from zqztc import queue

        queue.on_commit(tasks.deliver, pending)
    return pending


def _row(kind, channel, recipient, off, subject, body, sms, seen) -> Delivery | None:
    """One delivery row, its key holding only the recipient part for now; None for a duplicate."""
    user = recipient.user
    address = {Channel.EMAIL: recipient.email, Channel.SMS: recipient.phone}.get(channel, "")
    if channel == Channel.INAPP:
        if user is None:
            return None  # a firm without an account has no portal inbox
        who = f"u{user.pk}"
    else:
        # Keyed by address: the same message never goes twice to one phone or mailbox.
        who = address or (f"u{user.pk}" if user else f"e{recipient.enterprise.pk}")
    if (channel, who) in seen:
        return None  # two accounts sharing the firm's phone get one SMS
    seen.add((channel, who))
    row = Delivery(
        key=who,
        kind=kind.code,
        channel=channel,
        user=user,
        enterprise=recipient.enterprise,
        address=address,
        subject=subject,
        body=body if channel == Channel.EMAIL else sms,
    )
    if user is not None and (user.pk, channel) in off:
        row.status, row.reason = Status.SKIPPED, gettext_noop("Turned off by the recipient.")
    elif channel != Channel.INAPP and not address:
        row.status = Status.SKIPPED
        row.reason = (
            gettext_noop("No phone number.")
            if channel == Channel.SMS
            else gettext_noop("No e-mail address.")
        )
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
                user_id=row.user_id,
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
