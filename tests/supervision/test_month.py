"""A whole month under a frozen clock: reminders on the right days, the sweep once (docs/rules.md §5, §7)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from notices import sender
from petitions import workdays, workflow
from petitions.models import Notification
from supervision import reminders, tasks
from supervision.models import JobRun, Reminder, Sweep
from tests.petitions import flow

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def april_2026():
    day = date(2026, 4, 1)
    while day.month == 4:
        yield day
        day += timedelta(days=1)


def test_a_month_of_beats_fires_each_job_on_its_days_and_only_once(world):
    with time_machine.travel(datetime(2026, 3, 23, 10, tzinfo=SH), tick=False):
        for _ in range(3):
            flow.in_progress(world)
        flow.proposed(world)
    for day in april_2026():
        with time_machine.travel(datetime(day.year, day.month, day.day, 8, tzinfo=SH), tick=False):
            for _beat in range(2):  # beat firing twice must change nothing
                tasks.daily_reminders()
                tasks.thursday_progress()
                tasks.monthly_sweep()
    daily = sorted(
        date.fromisoformat(p)
        for p in JobRun.objects.filter(job="daily_digest").values_list("period", flat=True)
    )
    assert daily == [d for d in april_2026() if workdays.is_working_day(d)]
    assert date(2026, 4, 6) not in daily  # Qingming holiday
    thursdays = sorted(
        JobRun.objects.filter(job="thursday_progress").values_list("period", flat=True)
    )
    assert thursdays == ["2026-04-02", "2026-04-09", "2026-04-16", "2026-04-23", "2026-04-30"]
    assert list(Sweep.objects.values_list("run_on", flat=True)) == [
        date(2026, 4, 27)
    ]  # Sat 25th → Monday
    # One digest per handler per working day, however many petitions it lists.
    handler_days = Reminder.objects.filter(user=world.handler, kind=Reminder.Kind.DAILY)
    assert handler_days.count() == len(daily)
    assert set(handler_days.values_list("petition_count", flat=True)) == {4}


def test_the_daily_digest_groups_a_units_petitions_into_one_mail(world):
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=SH), tick=False):
        for _ in range(3):
            flow.assigned(world)
        flow.registered(world)  # the task force owes its triage
    sender.deliver_due()  # the workflow's own notices first, out of the way
    mail.outbox.clear()
    result = reminders.send_daily_digests(date(2026, 11, 3))
    assert (result["told"], result["finished"]) == (2, True)
    sender.deliver_due()  # the worker sends what the job wrote
    to_handler = [m for m in mail.outbox if m.to == [world.handler.email]]
    assert len(to_handler) == 1
    assert to_handler[0].body.count("ZQ2026-") == 3
    assert "今天到期" in to_handler[0].body or "Due today" in to_handler[0].body
    to_staff = [m for m in mail.outbox if m.to == [world.staff.email]]
    assert len(to_staff) == 1
    assert Notification.objects.filter(user=world.handler, kind="unit.due").count() == 1
    assert reminders.send_daily_digests(date(2026, 11, 3)) == {"skipped": "already ran"}


def test_no_digest_on_a_rest_day(world):
    assert reminders.send_daily_digests(date(2026, 10, 3)) == {"skipped": "rest day"}
    assert not JobRun.objects.exists()


def test_progress_reminders_skip_units_that_reported_and_petitions_assigned_this_week(world):
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=SH), tick=False):
        quiet = flow.in_progress(world)
        reported = flow.in_progress(world)
    with time_machine.travel(datetime(2026, 11, 10, 10, tzinfo=SH), tick=False):
        workflow.report_progress(petition_id=reported.pk, actor=world.handler, text="推进中")
        newcomer = flow.assigned(world)
    missing = list(reminders.missing_progress(date(2026, 11, 12)))
    assert missing == [quiet]
    assert newcomer not in missing
    sender.deliver_due()  # the workflow's own notices first, out of the way
    mail.outbox.clear()
    result = reminders.send_progress_reminders(date(2026, 11, 12))
    assert (result["units"], result["told"]) == (1, 1)
    sender.deliver_due()
    assert quiet.number in mail.outbox[0].body
    assert reported.number not in mail.outbox[0].body


def test_a_late_catch_up_never_nags_about_a_past_week(world):
    assert reminders.send_progress_reminders(date(2026, 11, 11)) == {"skipped": "that week is over"}
    assert reminders.send_progress_reminders(date(2026, 11, 14))["units"] == 0  # Saturday catch-up
