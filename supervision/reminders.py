"""Reminders (Uxin 二(四) 提醒; Shantou 三(四)): one digest per person, never one mail per petition.

Daily, on working days: what is due tomorrow (the next working day), due today, and overdue, for each
handling unit and each task force. Thursdays: every unresolved petition whose lead unit has not yet
reported progress for this week. Each job records its run per period (`JobRun`) and each digest per
person and day (`Reminder`), so a second run sends nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from petitions import workdays
from petitions.models import (
    HANDLING_STATES,
    OPEN_STATES,
    Notification,
    Petition,
    ProgressReport,
    Role,
    State,
    Step,
    User,
)
from supervision.models import JobRun, Reminder

# Steps the task force owes; the others are owed by the unit the petition is with.
TASK_FORCE_STEPS = (Step.TRIAGE, Step.ISSUE_LETTER, Step.REVISIT)


@dataclass
class Digest:
    overdue: list[Petition] = field(default_factory=list)
    today: list[Petition] = field(default_factory=list)
    tomorrow: list[Petition] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.overdue) + len(self.today) + len(self.tomorrow)


def _claim(job: str, period: str, result: dict | None = None) -> JobRun | None:
    try:
        with transaction.atomic():
            return JobRun.objects.create(job=job, period=period, result=result or {})
    except IntegrityError:
        return None


def _deliver(
    user: User, kind: str, on: date, subject: str, template: str, context: dict, count: int
) -> bool:
    """Record and send one digest; False if this person already had it for this day."""
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(
                user=user, kind=kind, on_date=on, petition_count=count
            )
            Notification.objects.create(user=user, kind=f"reminder:{kind}", title=subject, body="")
    except IntegrityError:
        return False
    if user.email:
        with translation.override(settings.LANGUAGE_CODE):
            body = render_to_string(template, {**context, "user": user})
        send_mail(subject, body, None, [user.email])
    Reminder.objects.filter(pk=reminder.pk).update(sent_at=timezone.now())
    return True


def _owner_key(petition: Petition) -> tuple[str, int]:
    """Who owes the step: ("tf", jurisdiction) or ("unit", unit)."""
    if petition.due_step in TASK_FORCE_STEPS:
        return ("tf", petition.jurisdiction_id)
    if petition.state == State.PROPOSED:
        return ("unit", petition.proposed_unit_id)
    return ("unit", petition.lead_unit_id)


def collect_due(on: date) -> dict[tuple[str, int], Digest]:
    """Everything due by the next working day, grouped by who owes it (one query)."""
    tomorrow = workdays.add_working_days(on, 1)
    rows = (
        Petition.objects.filter(state__in=OPEN_STATES, due_on__lte=tomorrow)
        .select_related("enterprise")
        .order_by("due_on", "pk")
        .only(
            "pk",
            "number",
            "title",
            "state",
            "due_on",
            "due_step",
            "jurisdiction_id",
            "lead_unit_id",
            "proposed_unit_id",
            "enterprise__name",
        )
    )
    digests: dict[tuple[str, int], Digest] = defaultdict(Digest)
    for petition in rows:
        digest = digests[_owner_key(petition)]
        if petition.due_on < on:
            digest.overdue.append(petition)
        elif petition.due_on == on:
            digest.today.append(petition)
        else:
            digest.tomorrow.append(petition)
    return digests


def _recipients(key: tuple[str, int]) -> list[User]:
    kind, unit_id = key
    if kind == "tf":
        # The task force of the jurisdiction (its unit sits directly under it).
        return list(
            User.objects.filter(is_active=True, role=Role.TASK_FORCE, unit__parent_id=unit_id)
        )
    return list(User.objects.filter(is_active=True, role=Role.HANDLER, unit_id=unit_id))


def send_daily_digests(on: date) -> dict:
    """The daily digest; does nothing on rest days (the next working day's digest covers them)."""
    if not workdays.is_working_day(on):
        return {"skipped": "rest day"}
    run = _claim("daily_digest", on.isoformat())
    if run is None:
        return {"skipped": "already ran"}
    sent = 0
    for key, digest in collect_due(on).items():
        subject = _digest_subject(on, digest)
        for user in _recipients(key):
            sent += _deliver(
                user,
                Reminder.Kind.DAILY,
                on,
                subject,
                "emails/daily_digest.txt",
                {"digest": digest, "on": on},
                len(digest),
            )
    run.result = {"digests": sent}
    run.save(update_fields=["result"])
    return run.result


def _digest_subject(on: date, digest: Digest) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _(
            "[ZQZTC] %(date)s: %(overdue)d overdue, %(today)d due today, %(tomorrow)d due next"
        ) % {
            "date": f"{on:%Y-%m-%d}",
            "overdue": len(digest.overdue),
            "today": len(digest.today),
            "tomorrow": len(digest.tomorrow),
        }


def progress_day(thursday: date) -> date:
    """The Thursday itself, or the next working day when it is a rest day."""
    return workdays.next_working_day_on_or_after(thursday)


def missing_progress(thursday: date):
    """Unresolved petitions assigned before that week whose lead unit has not reported for it (one query)."""
    reported = ProgressReport.objects.filter(petition_id=OuterRef("pk"), week_thursday=thursday)
    week_start = thursday - timedelta(days=3)
    return (
        Petition.objects.filter(
            state__in=HANDLING_STATES, transfer_letter_issued_at__date__lt=week_start
        )
        .filter(~Q(Exists(reported)))
        .select_related("enterprise", "lead_unit")
        .order_by("lead_unit_id", "due_on", "pk")
    )


def send_progress_reminders(on: date) -> dict:
    """On the week's Thursday (or the next working day, or later that week to catch up)."""
    thursday = workdays.thursday_on_or_before(on)
    if on < progress_day(thursday):
        return {"skipped": "not yet"}
    if (on - thursday).days >= 4:
        return {"skipped": "that week is over"}  # a catch-up never nags about a past week
    run = _claim("thursday_progress", thursday.isoformat())
    if run is None:
        return {"skipped": "already ran"}
    by_unit: dict[int, list[Petition]] = defaultdict(list)
    for petition in missing_progress(workdays.reporting_thursday(thursday)):
        by_unit[petition.lead_unit_id].append(petition)
    sent = 0
    for unit_id, petitions in by_unit.items():
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("[ZQZTC] Progress reports due on %(date)s: %(n)d petitions") % {
                "date": f"{thursday:%Y-%m-%d}",
                "n": len(petitions),
            }
        for user in _recipients(("unit", unit_id)):
            sent += _deliver(
                user,
                Reminder.Kind.THURSDAY,
                thursday,
                subject,
                "emails/progress_reminder.txt",
                {"petitions": petitions, "thursday": thursday},
                len(petitions),
            )
    run.result = {"units": len(by_unit), "reminders": sent}
    run.save(update_fields=["result"])
    return run.result
