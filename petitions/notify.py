"""Tell the enterprise what happened to its petition (docs/rules.md §10: notices at receipt, assignment, reply).

Runs in a Celery task after commit. Safe to run twice: one in-app notice per person and event,
and mail goes only to people who had no notice for the event yet.
"""

from __future__ import annotations

from datetime import timedelta

from celery import Task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from petitions import events
from petitions.models import Notification, PetitionEvent, State
from zqztc import queue


def _portal_link(petition_id: int) -> str:
    try:
        return reverse("portal:petition", args=[petition_id])
    except NoReverseMatch:
        return ""


def send_event_notice(event_id: int) -> int:
    """Notify the firm's accounts of one visible event in the portal and by e-mail; returns mails sent."""
    event = PetitionEvent.objects.select_related("petition__enterprise").filter(pk=event_id).first()
    if event is None or not event.visible_to_firm or event.notified_at is not None:
        return 0
    petition = event.petition
    enterprise = petition.enterprise
    with translation.override(settings.LANGUAGE_CODE):
        action = events.label(event.action)
        context = {"event": event, "petition": petition, "action": action}
        subject = render_to_string("emails/event_notice_subject.txt", context).strip()
        body = render_to_string("emails/event_notice.txt", context)
    accounts = list(enterprise.accounts.filter(is_active=True))
    fresh: list[str] = []
    for user in accounts:
        _notice, created = Notification.objects.get_or_create(
            user=user,
            event=event,
            defaults={
                "petition": petition,
                "kind": event.action,
                "title": f"{petition.number} {action}",
                "body": event.note,
                "link": _portal_link(petition.pk),
            },
        )
        if created and user.email:
            fresh.append(user.email)
    # The firm's registered address goes with the first delivery (or always, for a firm with no account).
    if enterprise.email and (fresh or not accounts):
        fresh.append(enterprise.email)
    recipients = sorted(set(fresh))
    sent = send_mail(subject, body, None, recipients) if recipients else 0
    # Marked only after the mail went out: a failure leaves it pending for a retry or the flush.
    PetitionEvent.objects.filter(pk=event.pk, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    return sent


# The events that put an approval before a leader; the latest names the leader it waits for.
APPROVAL_EVENTS = ("submit_for_approval", "reassign_approval")


def send_approval_notice(event_id: int) -> int:
    """Tell the leader an approval waits for them (submitted or reassigned); returns mails sent.

    Only while it still waits for that leader: a late notice about an approval since decided or
    handed to someone else would send the reader to something that is no longer theirs.
    """
    event = (
        PetitionEvent.objects.select_related("petition__approval_leader", "petition__enterprise")
        .filter(pk=event_id, action__in=APPROVAL_EVENTS)
        .first()
    )
    if event is None:
        return 0
    petition = event.petition
    latest = petition.events.filter(action__in=APPROVAL_EVENTS).latest("created_at", "pk")
    leader = petition.approval_leader
    if petition.state != State.AWAITING_APPROVAL or latest.pk != event.pk or leader is None:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        context = {"event": event, "petition": petition, "leader": leader}
        subject = render_to_string("emails/approval_notice_subject.txt", context).strip()
        body = render_to_string("emails/approval_notice.txt", context)
    # One notice per leader and event; a failed mail rolls it back so that the retry sends both.
    with transaction.atomic():
        _notice, created = Notification.objects.get_or_create(
            user=leader,
            event=event,
            defaults={
                "petition": petition,
                "kind": event.action,
                "title": subject,
                "body": event.note,
                "link": reverse("staff:approval", args=[petition.pk]),
            },
        )
        if created and leader.email:
            return send_mail(subject, body, None, [leader.email])
    return 0


def flush_pending(task: Task, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Queue again every visible event whose notice is still pending; returns how many were queued."""
    cutoff = timezone.now() - older_than
    pending = PetitionEvent.objects.filter(
        visible_to_firm=True, notified_at__isnull=True, created_at__lte=cutoff
    ).values_list("pk", flat=True)
    return sum(1 for pk in pending.iterator() if queue.send(task, pk))
