"""Tell the enterprise what happened to its petition (SPEC §10: notices at receipt, assignment, reply)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from petitions import events
from petitions.models import PetitionEvent


def enterprise_recipients(event: PetitionEvent) -> list[str]:
    enterprise = event.petition.enterprise
    emails = {u.email for u in enterprise.accounts.filter(is_active=True) if u.email}
    if enterprise.email:
        emails.add(enterprise.email)
    return sorted(emails)


def send_event_notice(event_id: int) -> int:
    """E-mail the firm about one visible event; returns the number of messages sent."""
    event = PetitionEvent.objects.select_related("petition__enterprise").filter(pk=event_id).first()
    if event is None or not event.visible_to_firm:
        return 0
    recipients = enterprise_recipients(event)
    if not recipients:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        context = {"event": event, "petition": event.petition, "action": events.label(event.action)}
        subject = render_to_string("emails/event_notice_subject.txt", context).strip()
        body = render_to_string("emails/event_notice.txt", context)
    return send_mail(subject, body, None, recipients)
