"""Reminders (Uxin 二(四) 提醒; Shantou 三(四)): one digest per person, never one mail per petition.

Daily, on working days: what is due tomorrow (the next working day), due today, and overdue, for each
handling unit and each task force. A task force's digest covers every level it runs: its own, and
those below it with no task-force account, where it stands in and the digest names them (docs/rules.md
§1). Thursdays: every unresolved petition whose lead unit has not yet reported progress for this week.

Each person's digest is claimed (`Reminder`, unique per person, kind and day) and written as a notice
(`notices.outbox.tell`) in one transaction, so a run that dies midway is finished by the next run and
nobody is told twice. `JobRun` records each run (started, finished, counts, late or not); it is not a
gate. A day missed while the scheduler was down is recorded as missed and covered by the next digest,
which says it is late (补发) rather than sending a pile of stale ones (docs/jobs.md, "Digests and reminders").
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notices import outbox
from petitions import levels, workdays
from petitions.models import (
    HANDLING_STATES,
    OPEN_STATES,
    OrgUnit,
    Petition,
    ProgressReport,
    Role,
    State,
    Step,
    User,
)
from supervision.models import JobRun, Reminder

log = logging.getLogger(__name__)

DAILY_JOB = "daily_digest"
THURSDAY_JOB = "thursday_progress"
WEEK_OVER = "week_over_when_noticed_on"

# Steps the task force owes; the others are owed by the unit the petition is with.
TASK_FORCE_STEPS = (Step.TRIAGE, Step.ISSUE_LETTER, Step.REVISIT)


@dataclass
class Digest:
    overdue: list[Petition] = field(default_factory=list)
    today: list[Petition] = field(default_factory=list)
    tomorrow: list[Petition] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.overdue) + len(self.today) + len(self.tomorrow)


@dataclass
class Group:
    """One digest's content for everybody of one unit or task force."""

    owner: str  # "unit5" or "tf3": names the digest of a group with nobody in it
    code: str  # the notice kind (notices/catalogue.py)
    people: list[User]
    count: int
    context: dict  # for the notice; the late note and date stamp are added per person
    link: str


@dataclass
class Tally:
    told: int = 0
    already: int = 0
    nobody: int = 0
    failed: int = 0


# --- one person ------------------------------------------------------------------------------------


def tell_one(*, user: User, kind: str, day: date, group: Group, context: dict) -> bool:
    """Claim this person's digest for the day and write its notice, in one transaction.

    False when they already had it (a concurrent run claimed it first). The delivery keys carry the
    person and the day, so even a second write of the notice would be a no-op (notices/outbox.py).
    """
    try:
        with transaction.atomic():
            Reminder.objects.create(
                user=user,
                kind=kind,
                on_date=day,
                petition_count=group.count,
                sent_at=timezone.now(),
            )
            outbox.tell(
                group.code,
                [outbox.person(user)],
                source=f"digest:{kind}:{day:%Y-%m-%d}:u{user.pk}",
                context=context,
                link=group.link,
            )
    except IntegrityError:
        return False
    return True


def _tell_nobody(kind: str, day: date, group: Group) -> None:
    """A group with no active account: one skipped delivery records that nobody could be told."""
    with transaction.atomic():
        outbox.tell(
            group.code,
            [],
            source=f"digest:{kind}:{day:%Y-%m-%d}:{group.owner}",
            context=_personal(group.context, day, [], late=False),
            link=group.link,
        )


def _tell_all(
    kind: str, day: date, groups: Iterable[Group], late_days: dict[int, list[date]], late: bool
) -> Tally:
    """Each group's people who have not had their digest for `day` yet, one transaction each.

    A failure for one person (a template, an address) is logged and leaves the run unfinished, so
    the next run tries again; a database error stops the run (the task retries, docs/jobs.md).
    """
    tally = Tally()
    told_before = set(
        Reminder.objects.filter(kind=kind, on_date=day).values_list("user_id", flat=True)
    )
    for group in groups:
        if not group.people:
            _tell_nobody(kind, day, group)
            tally.nobody += 1
            continue
        for user in group.people:
            if user.pk in told_before:
                tally.already += 1
                continue
            context = _personal(group.context, day, late_days.get(user.pk, []), late)
            try:
                told = tell_one(user=user, kind=kind, day=day, group=group, context=context)
            except DatabaseError:
                raise
            except Exception:
                log.exception("%s digest for %s to user %s failed", kind, day, user.pk)
                tally.failed += 1
                continue
            if told:
                tally.told += 1
            else:
                tally.already += 1
    return tally


def _personal(context: dict, day: date, missed: list[date], late: bool) -> dict:
    """The date stamp of the SMS and e-mail, marked 补发 when late and with the levels a task force
    stands in for, and a note saying why."""
    with translation.override(settings.LANGUAGE_CODE):
        stamp = f"{day:%Y-%m-%d}"
        note = ""
        if missed:
            days = "、".join(f"{d:%Y-%m-%d}" for d in missed)
            note = ngettext(
                "Sent late: the digest of %(days)s was not sent on its day; this one covers it.",
                "Sent late: the digests of %(days)s were not sent on their days; this one covers them.",
                len(missed),
            ) % {"days": days}
        elif late:
            note = _("Sent late: this reminder was due on %(date)s.") % {"date": context["due"]}
        if note:
            stamp = _("%(date)s (sent late)") % {"date": stamp}
        if stand_in := context.get("stand_in"):
            # A parent standing in for a level without a task force (docs/rules.md §1) sees which
            # levels the digest covers in the subject, the in-app notice and the e-mail.
            mark = (
                _("%(date)s, including %(levels)s")
                if context.get("with_own")
                else _("%(date)s, for %(levels)s")
            )
            stamp = mark % {"date": stamp, "levels": stand_in}
            if note:  # the note replaces the counts in the in-app text: it names the levels too
                note = " ".join(
                    (
                        note,
                        _("It covers %(levels)s, which has no task force of its own.")
                        % {"levels": stand_in},
                    )
                )
    # The stamp opens the SMS, the in-app notice and the e-mail (notices/catalogue.py).
    return {**context, "date": stamp, "full_note": note}


# --- the run record ------------------------------------------------------------------------------


def _open_run(job: str, period: str) -> tuple[JobRun, bool]:
    """This period's record, created by the first run; (run, resumed)."""
    run, created = JobRun.objects.get_or_create(job=job, period=period)
    return run, not created


def _record_missed(job: str, periods: list[date], on: date, why: str) -> None:
    """Periods without a finished run, now covered (or, for a past week, dropped) by the run of `on`."""
    for period in periods:
        run, created = JobRun.objects.get_or_create(
            job=job,
            period=period.isoformat(),
            defaults={"status": JobRun.Status.MISSED, "result": {why: on.isoformat()}},
        )
        if not created and run.status == JobRun.Status.RUNNING:
            run.status = JobRun.Status.MISSED
            run.result = {**run.result, why: on.isoformat()}
            run.save(update_fields=["status", "result"])


def _previous(job: str, period: str) -> JobRun | None:
    """The latest run recorded before `period` (ISO dates sort as text)."""
    return JobRun.objects.filter(job=job, period__lt=period).order_by("-period").first()


def _finish(
    run: JobRun, tally: Tally, *, kind: str, day: date, resumed: bool, late: bool, extra: dict
) -> dict:
    run.late = run.late or late
    totals = {
        # Counted, not added up: a run that died never recorded what it had done.
        "told": Reminder.objects.filter(kind=kind, on_date=day).count(),
        "nobody": tally.nobody,
        "failed": tally.failed,
    }
    if resumed:
        run.result.setdefault("resumed_at", []).append(timezone.now().isoformat())
    run.result = {**run.result, **extra, **totals}
    if tally.failed == 0:
        run.status = JobRun.Status.FINISHED
        run.finished_at = timezone.now()
    run.save(update_fields=["late", "result", "status", "finished_at"])
    return {
        "period": run.period,
        "told": tally.told,
        "already": tally.already,
        "nobody": tally.nobody,
        "failed": tally.failed,
        "resumed": resumed,
        "late": run.late,
        "finished": run.status == JobRun.Status.FINISHED,
        **extra,
    }


def _done(run: JobRun) -> dict | None:
    if run.status == JobRun.Status.FINISHED:
        return {"skipped": "already ran"}
    if run.status == JobRun.Status.MISSED:
        if "covered_by" in run.result:
            return {"skipped": f"missed; covered by the digest of {run.result['covered_by']}"}
        return {"skipped": f"missed; that week was over on {run.result.get(WEEK_OVER, '?')}"}
    return None


# --- the daily digest ----------------------------------------------------------------------------


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
        # The task force of the jurisdiction that runs the level (its unit sits directly under it;
        # the caller resolves the level with levels.run_by, docs/rules.md §1).
        people = User.objects.filter(is_active=True, role=Role.TASK_FORCE, unit__parent_id=unit_id)
    else:
        people = User.objects.filter(is_active=True, role=Role.HANDLER, unit_id=unit_id)
    return list(people.order_by("pk"))


@dataclass
class Level:
    """One jurisdiction's part of a task force's digest."""

    jurisdiction: OrgUnit
    digest: Digest
    own: bool  # the task force's own level; False where it stands in for a level without one


def _by_runner(due: dict[tuple[str, int], Digest]) -> dict[OrgUnit, list[Level]]:
    """The task forces' digests grouped by the jurisdiction whose task force runs each level: its
    own, or the nearest parent's while the level has no task-force account (docs/rules.md §1). A
    level that nobody above runs either stays its own, with nobody in it."""
    ids = [pk for kind, pk in due if kind == "tf"]
    jurisdictions = OrgUnit.objects.in_bulk(ids)
    runners: dict[int, OrgUnit] = {}
    grouped: dict[int, list[Level]] = defaultdict(list)
    for pk in ids:
        jurisdiction = jurisdictions[pk]
        runner = levels.run_by(jurisdiction)
        runners[runner.pk] = runner
        grouped[runner.pk].append(
            Level(jurisdiction, due[("tf", pk)], own=runner.pk == jurisdiction.pk)
        )
    # The own level first, then the levels stood in for by name: a stable order for the body.
    return {
        runners[pk]: sorted(parts, key=lambda lv: (not lv.own, lv.jurisdiction.name))
        for pk, parts in sorted(grouped.items())
    }


def _task_force_group(runner: OrgUnit, parts: list[Level], on: date) -> Group:
    """One digest for everybody of the task force that runs these levels; where it stands in for
    a level, the stamp and the body name that level (docs/jobs.md, "Digests and reminders")."""
    stand_in = [lv.jurisdiction.name for lv in parts if not lv.own]
    total = Digest(
        overdue=[p for lv in parts for p in lv.digest.overdue],
        today=[p for lv in parts for p in lv.digest.today],
        tomorrow=[p for lv in parts for p in lv.digest.tomorrow],
    )
    with translation.override(settings.LANGUAGE_CODE):
        if stand_in:
            sections = [{"heading": _heading(lv), "digest": lv.digest} for lv in parts]
            body = render_to_string(
                "emails/daily_digest_levels.txt", {"sections": sections, "on": on}
            ).strip()
        else:
            body = render_to_string("emails/daily_digest.txt", {"digest": total, "on": on}).strip()
    context = {
        "overdue": len(total.overdue),
        "today": len(total.today),
        "tomorrow": len(total.tomorrow),
        "body": body,
    }
    if stand_in:
        context |= {"stand_in": "、".join(stand_in), "with_own": any(lv.own for lv in parts)}
    return Group(
        owner=f"tf{runner.pk}",
        code="tf.due",
        people=_recipients(("tf", runner.pk)),
        count=len(total),
        context=context,
        link=reverse("staff:home"),
    )


def _heading(level: Level) -> str:
    if level.own:
        return _("%(name)s (your own jurisdiction)") % {"name": level.jurisdiction.name}
    return _(
        "%(name)s (it has no task-force account of its own; your task force stands in for it)"
    ) % {"name": level.jurisdiction.name}


def _daily_groups(on: date) -> list[Group]:
    due = collect_due(on)
    # The task forces' digests first, then the units', as before the levels.
    groups = [_task_force_group(runner, parts, on) for runner, parts in _by_runner(due).items()]
    for key, digest in sorted(due.items()):
        if key[0] == "tf":
            continue
        with translation.override(settings.LANGUAGE_CODE):
            body = render_to_string("emails/daily_digest.txt", {"digest": digest, "on": on}).strip()
        groups.append(
            Group(
                owner=f"{key[0]}{key[1]}",
                code="unit.due",
                people=_recipients(key),
                count=len(digest),
                context={
                    "overdue": len(digest.overdue),
                    "today": len(digest.today),
                    "tomorrow": len(digest.tomorrow),
                    "body": body,
                },
                link=reverse("handler:inbox"),
            )
        )
    return groups


def missed_days(on: date) -> list[date]:
    """Working days before `on` whose digest did not go out to everyone: those after the last
    recorded run, and that run's own day if it never finished. None before the first run ever."""
    previous = _previous(DAILY_JOB, on.isoformat())
    if previous is None:
        return []
    last = date.fromisoformat(previous.period)
    days = list(workdays.working_days(last + timedelta(days=1), on - timedelta(days=1)))
    if previous.status == JobRun.Status.RUNNING:
        days.insert(0, last)
    return days


def send_daily_digests(on: date) -> dict:
    """The daily digest of `on`; does nothing on rest days (the next working day's digest covers them).

    Safe to run any number of times a day: the first run sends, a run after a crash sends to those
    not told yet, a run after a finished one sends nothing. Days missed before it are covered by
    this digest, marked late for whoever did not get theirs (docs/jobs.md, "Digests and reminders").
    """
    if not workdays.is_working_day(on):
        return {"skipped": "rest day"}
    period = on.isoformat()
    existing = JobRun.objects.filter(job=DAILY_JOB, period=period).first()
    if existing is not None and (skipped := _done(existing)):
        return skipped
    later = JobRun.objects.filter(job=DAILY_JOB, period__gt=period, status=JobRun.Status.FINISHED)
    if existing is None and later.exists():
        return {"skipped": "a later day's digest has gone out"}
    missed = missed_days(on)
    run, resumed = _open_run(DAILY_JOB, period)
    if skipped := _done(run):  # finished by a concurrent run meanwhile
        return skipped
    _record_missed(DAILY_JOB, missed, on, "covered_by")
    covers = sorted({*run.result.get("covers", []), *(d.isoformat() for d in missed)})
    covered = [date.fromisoformat(d) for d in covers]
    late_days = _late_days(Reminder.Kind.DAILY, covered)
    groups = _daily_groups(on)
    # Everyone is a recipient whose digest for a covered day did not go out.
    people = {u.pk for g in groups for u in g.people}
    late_for = {pk: [d for d in covered if d not in late_days.get(pk, set())] for pk in people}
    tally = _tell_all(
        Reminder.Kind.DAILY, on, groups, {k: v for k, v in late_for.items() if v}, late=False
    )
    extra = {"covers": covers} if covers else {}
    return _finish(
        run,
        tally,
        kind=Reminder.Kind.DAILY,
        day=on,
        resumed=resumed,
        late=bool(covers),
        extra=extra,
    )


def _late_days(kind: str, days: list[date]) -> dict[int, set[date]]:
    """For each person, the covered days whose digest they did get (one query)."""
    had: dict[int, set[date]] = defaultdict(set)
    if days:
        for user_id, day in Reminder.objects.filter(kind=kind, on_date__in=days).values_list(
            "user_id", "on_date"
        ):
            had[user_id].add(day)
    return had


# --- the Thursday progress reminder --------------------------------------------------------------


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


def missed_weeks(thursday: date) -> list[date]:
    """Thursdays before this one whose reminder did not go out to everyone; that week is over, so
    they are only recorded (docs/decisions.md D23)."""
    previous = _previous(THURSDAY_JOB, thursday.isoformat())
    if previous is None:
        return []
    last = date.fromisoformat(previous.period)
    weeks = []
    week = last + timedelta(days=7)
    while week < thursday:
        weeks.append(week)
        week += timedelta(days=7)
    if previous.status == JobRun.Status.RUNNING:
        weeks.insert(0, last)
    return weeks


def _progress_groups(thursday: date, due: date) -> list[Group]:
    by_unit: dict[int, list[Petition]] = defaultdict(list)
    for petition in missing_progress(workdays.reporting_thursday(thursday)):
        by_unit[petition.lead_unit_id].append(petition)
    groups = []
    for unit_id, petitions in sorted(by_unit.items()):
        with translation.override(settings.LANGUAGE_CODE):
            body = render_to_string(
                "emails/progress_reminder.txt", {"petitions": petitions, "thursday": thursday}
            ).strip()
        groups.append(
            Group(
                owner=f"unit{unit_id}",
                code="unit.progress_due",
                people=_recipients(("unit", unit_id)),
                count=len(petitions),
                context={"n": len(petitions), "body": body, "due": f"{due:%Y-%m-%d}"},
                link=reverse("handler:inbox"),
            )
        )
    return groups


def send_progress_reminders(on: date) -> dict:
    """On the week's Thursday (or the next working day, or later that week to catch up, marked
    late); never for a past week (docs/decisions.md D23). Resumes a run that died, like the digest."""
    thursday = workdays.thursday_on_or_before(on)
    due = progress_day(thursday)
    if on < due:
        return {"skipped": "not yet"}
    if (on - thursday).days >= 4:
        return {"skipped": "that week is over"}  # a catch-up never nags about a past week
    period = thursday.isoformat()
    existing = JobRun.objects.filter(job=THURSDAY_JOB, period=period).first()
    if existing is not None and (skipped := _done(existing)):
        return skipped
    later = JobRun.objects.filter(
        job=THURSDAY_JOB, period__gt=period, status=JobRun.Status.FINISHED
    )
    if existing is None and later.exists():
        return {"skipped": "a later week's reminder has gone out"}
    missed = missed_weeks(thursday)
    run, resumed = _open_run(THURSDAY_JOB, period)
    if skipped := _done(run):
        return skipped
    _record_missed(THURSDAY_JOB, missed, on, WEEK_OVER)
    late = on > due
    groups = _progress_groups(thursday, due)
    tally = _tell_all(Reminder.Kind.THURSDAY, thursday, groups, {}, late=late)
    extra = {"units": len(groups)}
    if missed:
        extra["missed_weeks"] = [w.isoformat() for w in missed]
    return _finish(
        run,
        tally,
        kind=Reminder.Kind.THURSDAY,
        day=thursday,
        resumed=resumed,
        late=late,
        extra=extra,
    )
