"""Digests and reminders that resume instead of skipping (docs/jobs.md, "Digests and reminders").

Each person's digest is claimed and written as a notice in one transaction; the run is a record.
A worker killed midway is simulated by an exception the job cannot catch (a BaseException, as a
dying process would give none at all) raised from the per-person step after k people: a fault
injected at the edge, the job's own code runs unchanged.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext

from notices import sender
from notices.models import Delivery, Status
from petitions.models import Notification, Role, User
from supervision import reminders
from supervision.models import JobRun, Reminder
from tests.factories import OrgUnitFactory, member
from tests.petitions import flow

SH = ZoneInfo("Asia/Shanghai")
MON, TUE, WED, THU, FRI = (date(2026, 11, d) for d in (2, 3, 4, 5, 6))
NEXT_MON, NEXT_THU, NEXT_FRI = date(2026, 11, 9), date(2026, 11, 12), date(2026, 11, 13)


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return gettext(text)


def late(day: str) -> str:
    """A day's stamp when sent late, as the job renders it (“2026-11-05（补发）”)."""
    return zh("%(date)s (sent late)") % {"date": day}


LATE = late("").strip()  # the mark alone


class Killed(BaseException):
    """The worker dying mid-run: no `except Exception` in the job may swallow it."""


def die_after(monkeypatch, k: int) -> list[int]:
    """Let the per-person step run k times, then kill the run on the next call."""
    real = reminders.tell_one
    calls: list[int] = []

    def dying(**kwargs):
        calls.append(kwargs["user"].pk)
        if len(calls) == k + 1:
            raise Killed
        return real(**kwargs)

    monkeypatch.setattr(reminders, "tell_one", dying)
    return calls


def crowd(world, n: int) -> list[User]:
    """n more handlers in the world's department, each with an e-mail address."""
    return [member(world.dept, Role.HANDLER, username=f"dept_handler_{i:02d}") for i in range(n)]


def due_work(world, *, assigned: int = 1, registered: int = 1) -> None:
    """Petitions due in the first week of November: the unit owes contacts, the task force triage."""
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=SH), tick=False):
        for _ in range(assigned):
            flow.assigned(world)
        for _ in range(registered):
            flow.registered(world)


def mails_to(user: User) -> list:
    """The digests and reminders e-mailed to one person (not the notices of petition events)."""
    return [
        m
        for m in mail.outbox
        if m.to == [user.email] and m.extra_headers["X-ZQZTC-Delivery"].startswith("digest:")
    ]


def mail_for(user: User, day: date):
    """The one digest e-mail of `day` to this person; its first line is the SMS text with the stamp."""
    [message] = [
        m for m in mails_to(user) if f":{day:%Y-%m-%d}:" in m.extra_headers["X-ZQZTC-Delivery"]
    ]
    return message


def stamp(message) -> str:
    return message.body.splitlines()[0]


def digest_record(user: User, code: str) -> tuple[int, int, int]:
    """(in-app notices, delivery rows, e-mails) one person has for the digest kind `code`."""
    return (
        Notification.objects.filter(user=user, kind=code).count(),
        Delivery.objects.filter(user=user, kind=code).count(),
        len(mails_to(user)),
    )


def deliver() -> None:
    """What the delivery worker does every minute (notices/sender.py)."""
    sender.deliver_due()


# --- a run killed midway is finished by the next one ----------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_daily_run_killed_after_four_people_is_finished_by_the_next_run_without_telling_anyone_twice(
    world, monkeypatch
):
    handlers = [world.handler, *crowd(world, 12)]
    people = [world.staff, *handlers]  # the task force's digest comes first, then the unit's
    due_work(world)
    mail.outbox.clear()
    calls = die_after(monkeypatch, 4)

    with pytest.raises(Killed):
        reminders.send_daily_digests(TUE)

    assert len(calls) == 5
    first = set(Reminder.objects.filter(on_date=TUE).values_list("user_id", flat=True))
    assert first == {p.pk for p in people[:4]}
    run = JobRun.objects.get(job="daily_digest", period="2026-11-03")
    assert (run.status, run.finished_at) == (JobRun.Status.RUNNING, None)
    # Each committed person's e-mail went out after their commit.
    assert sum(len(mails_to(p)) for p in people) == 4

    monkeypatch.undo()
    result = reminders.send_daily_digests(TUE)

    assert result["resumed"] is True
    assert (result["told"], result["already"], result["failed"]) == (10, 4, 0)
    assert result["finished"] is True
    assert digest_record(world.staff, "tf.due") == (1, 2, 1)  # in-app + e-mail
    for handler in handlers:  # in-app + e-mail + SMS (skipped: no phone)
        assert digest_record(handler, "unit.due") == (1, 3, 1), handler.username
    assert sum(len(mails_to(p)) for p in people) == 14
    run.refresh_from_db()
    assert run.status == JobRun.Status.FINISHED
    assert run.finished_at is not None
    assert run.result["told"] == 14
    assert len(run.result["resumed_at"]) == 1
    assert run.late is False

    # Once finished, another run (the hourly catch-up) sends nothing and says so.
    assert reminders.send_daily_digests(TUE) == {"skipped": "already ran"}
    assert Reminder.objects.filter(on_date=TUE).count() == 14
    assert sum(len(mails_to(p)) for p in people) == 14


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_thursday_run_killed_midway_is_finished_by_the_next_run(world, monkeypatch):
    handlers = [world.handler, *crowd(world, 6)]
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=SH), tick=False):
        quiet = flow.in_progress(world)
    mail.outbox.clear()
    die_after(monkeypatch, 2)
    with pytest.raises(Killed):
        reminders.send_progress_reminders(NEXT_THU)
    assert Reminder.objects.filter(kind=Reminder.Kind.THURSDAY).count() == 2
    assert JobRun.objects.get(job="thursday_progress").status == JobRun.Status.RUNNING

    monkeypatch.undo()
    result = reminders.send_progress_reminders(NEXT_THU)

    assert (result["resumed"], result["told"], result["already"]) == (True, 5, 2)
    for handler in handlers:
        assert Notification.objects.filter(user=handler, kind="unit.progress_due").count() == 1
        assert Delivery.objects.filter(user=handler, kind="unit.progress_due").count() == 2
        [message] = mails_to(handler)
        assert quiet.number in message.body
    assert JobRun.objects.get(job="thursday_progress").status == JobRun.Status.FINISHED
    assert reminders.send_progress_reminders(NEXT_FRI) == {"skipped": "already ran"}
    assert sum(len(mails_to(h)) for h in handlers) == 7


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_at_once_tell_each_person_once(world):
    """Beat firing twice, or the hourly catch-up overlapping a slow run: the per-person claim holds."""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL)")
    people = [world.staff, world.handler, *crowd(world, 10)]
    due_work(world)
    start = threading.Barrier(2)
    results: list[dict] = []

    def run() -> None:
        try:
            start.wait(timeout=10)
            results.append(reminders.send_daily_digests(TUE))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(results) == 2
    told = [r.get("told", 0) for r in results]
    assert sum(told) == len(people)
    for person in people:
        assert Reminder.objects.filter(user=person, on_date=TUE).count() == 1
        assert len(mails_to(person)) == 1
    assert JobRun.objects.get(period="2026-11-03").status == JobRun.Status.FINISHED


@pytest.mark.django_db
def test_a_failure_for_one_person_does_not_stop_the_others_and_the_next_run_retries_it(
    world, monkeypatch
):
    crowd(world, 3)
    due_work(world)
    real = reminders.tell_one

    def refuses_the_handler(**kwargs):
        if kwargs["user"] == world.handler:
            raise RuntimeError("template broke")
        return real(**kwargs)

    monkeypatch.setattr(reminders, "tell_one", refuses_the_handler)
    result = reminders.send_daily_digests(TUE)
    assert (result["told"], result["failed"], result["finished"]) == (4, 1, False)
    assert JobRun.objects.get().status == JobRun.Status.RUNNING

    monkeypatch.undo()
    again = reminders.send_daily_digests(TUE)
    assert (again["told"], again["already"], again["failed"], again["finished"]) == (1, 4, 0, True)
    assert Reminder.objects.filter(user=world.handler, on_date=TUE).count() == 1


@pytest.mark.django_db
def test_a_claim_taken_by_a_concurrent_run_counts_as_already_told(world):
    due_work(world, registered=0)
    # Another run claimed the handler's digest between our read and our write.
    reminders.tell_one(
        user=world.handler,
        kind=Reminder.Kind.DAILY,
        day=TUE,
        group=reminders._daily_groups(TUE)[0],
        context={"overdue": 0, "today": 1, "tomorrow": 0, "date": "x", "number": "x"},
    )
    group = reminders._daily_groups(TUE)[0]
    assert (
        reminders.tell_one(
            user=world.handler,
            kind=Reminder.Kind.DAILY,
            day=TUE,
            group=group,
            context=group.context,
        )
        is False
    )
    assert Notification.objects.filter(user=world.handler, kind="unit.due").count() == 1


# --- days missed while beat was down --------------------------------------------------------------


@pytest.mark.django_db
def test_days_missed_while_beat_was_down_are_covered_once_by_a_late_digest(world):
    crowd(world, 2)
    due_work(world)
    assert reminders.send_daily_digests(MON)["finished"]
    # Beat is down on Tuesday and Wednesday; on Thursday morning it is back.
    result = reminders.send_daily_digests(THU)
    deliver()

    assert result["covers"] == ["2026-11-03", "2026-11-04"]
    assert result["late"] is True
    missed = JobRun.objects.filter(period__in=["2026-11-03", "2026-11-04"])
    assert {(r.status, r.result["covered_by"]) for r in missed} == {
        (JobRun.Status.MISSED, "2026-11-05")
    }
    # No pile of stale digests: one digest each, for Thursday, saying it is late.
    assert not Reminder.objects.filter(on_date__in=[TUE, WED]).exists()
    assert Reminder.objects.filter(on_date=THU).count() == 4
    message = mail_for(world.handler, THU)
    assert stamp(message).startswith(late("2026-11-05"))
    assert "2026-11-03、2026-11-04" in message.body
    monday, thursday = Notification.objects.filter(user=world.handler, kind="unit.due").order_by(
        "pk"
    )
    assert "2026-11-03、2026-11-04" in thursday.body  # the in-app notice says why
    assert LATE not in monday.body
    # The list of petitions is the body: the overdue contact and the task force's triage.
    assert "已逾期" in message.body
    run = JobRun.objects.get(period="2026-11-05")
    assert (run.status, run.late) == (JobRun.Status.FINISHED, True)

    # Caught up once: the hourly catch-ups and a rerun of a missed day send nothing.
    assert reminders.send_daily_digests(THU) == {"skipped": "already ran"}
    assert reminders.send_daily_digests(TUE) == {
        "skipped": "missed; covered by the digest of 2026-11-05"
    }
    assert Reminder.objects.count() == 8  # Monday's four and Thursday's four


@pytest.mark.django_db
def test_a_digest_sent_later_on_its_own_day_is_not_late_and_weekends_are_not_missed(world):
    due_work(world)
    reminders.send_daily_digests(FRI)
    result = reminders.send_daily_digests(NEXT_MON)  # e.g. at 11:00 after beat was down at 08:00
    assert "covers" not in result
    assert result["late"] is False
    assert not JobRun.objects.filter(status=JobRun.Status.MISSED).exists()
    deliver()
    assert all(LATE not in m.body for m in mail.outbox)


@pytest.mark.django_db
def test_the_first_run_ever_invents_no_missed_days(world):
    due_work(world)
    result = reminders.send_daily_digests(THU)
    assert "covers" not in result
    assert JobRun.objects.count() == 1


@pytest.mark.django_db
def test_a_day_that_died_unfinished_is_covered_late_only_for_those_it_never_reached(
    world, monkeypatch
):
    late_ones = crowd(world, 2)
    due_work(world)
    die_after(monkeypatch, 2)  # the task force and the first handler got Wednesday's digest
    with pytest.raises(Killed):
        reminders.send_daily_digests(WED)
    monkeypatch.undo()

    result = reminders.send_daily_digests(THU)
    deliver()

    assert result["covers"] == ["2026-11-04"]
    wednesday = JobRun.objects.get(period="2026-11-04")
    assert wednesday.status == JobRun.Status.MISSED
    assert wednesday.result["covered_by"] == "2026-11-05"
    for person in (world.staff, world.handler):
        thursday = mail_for(person, THU)
        assert LATE not in thursday.body
    for person in late_ones:
        thursday = mail_for(person, THU)
        assert stamp(thursday).startswith(late("2026-11-05"))
        assert "2026-11-04" in thursday.body
    # Wednesday itself is never finished late.
    assert reminders.send_daily_digests(WED)["skipped"].startswith("missed")
    assert Reminder.objects.filter(on_date=WED).count() == 2


@pytest.mark.django_db
def test_a_past_day_is_not_sent_once_a_later_days_digest_went_out(world):
    due_work(world)
    reminders.send_daily_digests(THU)
    assert reminders.send_daily_digests(TUE) == {"skipped": "a later day's digest has gone out"}
    assert not Reminder.objects.filter(on_date=TUE).exists()
    assert not JobRun.objects.filter(period="2026-11-03").exists()


@pytest.mark.django_db
def test_the_thursday_reminder_missed_on_thursday_goes_out_once_on_friday_marked_late(world):
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=SH), tick=False):
        quiet = flow.in_progress(world)
    result = reminders.send_progress_reminders(NEXT_FRI)
    deliver()
    assert (result["told"], result["late"]) == (1, True)
    [message] = mails_to(world.handler)
    assert late("2026-11-12") in stamp(message)
    assert "2026-11-12" in message.body
    assert quiet.number in message.body
    assert JobRun.objects.get(period="2026-11-12").late is True
    assert reminders.send_progress_reminders(NEXT_FRI) == {"skipped": "already ran"}
    assert reminders.send_progress_reminders(date(2026, 11, 14)) == {"skipped": "already ran"}
    assert Reminder.objects.count() == 1


@pytest.mark.django_db
def test_a_whole_week_missed_is_recorded_and_never_sent(world):
    with time_machine.travel(datetime(2026, 10, 26, 10, tzinfo=SH), tick=False):
        flow.in_progress(world)
    assert reminders.send_progress_reminders(THU)["told"] == 1
    # Beat is down from Wednesday 11 to Monday 16 November: the week of the 12th is over.
    assert reminders.send_progress_reminders(date(2026, 11, 16)) == {"skipped": "that week is over"}
    result = reminders.send_progress_reminders(date(2026, 11, 19))
    assert result["missed_weeks"] == ["2026-11-12"]
    assert result["late"] is False
    missed = JobRun.objects.get(period="2026-11-12")
    assert missed.status == JobRun.Status.MISSED
    assert reminders.send_progress_reminders(NEXT_THU) == {
        "skipped": "missed; that week was over on 2026-11-19"
    }
    assert not Reminder.objects.filter(on_date=NEXT_THU).exists()
    assert Reminder.objects.count() == 2


# --- nobody to tell, what the digest says ---------------------------------------------------------


@pytest.mark.django_db
def test_a_unit_with_nobody_in_it_leaves_a_skipped_delivery_once(world):
    empty = OrgUnitFactory(name="市无人局", parent=world.city)
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=SH), tick=False):
        flow.proposed(world, unit=empty)
    result = reminders.send_daily_digests(TUE)
    assert result["nobody"] == 1
    reminders.send_daily_digests(TUE)
    [row] = Delivery.objects.filter(kind="unit.due")
    assert row.status == Status.SKIPPED
    assert row.key == f"digest:daily:2026-11-03:unit{empty.pk}:unit.due:none:nobody"
    assert "No one to tell" in row.reason
    assert JobRun.objects.get().status == JobRun.Status.FINISHED


@pytest.mark.django_db
def test_the_digest_lists_overdue_today_and_next_working_day_in_its_mail(world):
    with time_machine.travel(datetime(2026, 10, 28, 10, tzinfo=SH), tick=False):
        overdue = flow.assigned(world)
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=SH), tick=False):
        today = flow.assigned(world)
    with time_machine.travel(datetime(2026, 11, 3, 10, tzinfo=SH), tick=False):
        tomorrow = flow.assigned(world)
    reminders.send_daily_digests(TUE)
    deliver()
    [message] = mails_to(world.handler)
    body = message.body
    assert stamp(message).startswith("2026-11-03")
    assert LATE not in body
    assert body.index("已逾期") < body.index(overdue.number) < body.index("今天到期")
    assert body.index("今天到期") < body.index(today.number) < body.index("下一个工作日到期")
    assert body.index("下一个工作日到期") < body.index(tomorrow.number)
    footer = (
        "This message was sent by the ZQZTC enterprise petition system. Please do not reply to it."
    )
    assert body.count(zh(footer)) == 1  # the notice's; the list template has none of its own
    [notice] = Notification.objects.filter(user=world.handler, kind="unit.due")
    assert notice.link.endswith("/handle/")
