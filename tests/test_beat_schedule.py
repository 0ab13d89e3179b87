"""The beat schedule (docs/conventions.md C7; docs/jobs.md, "Beat's schedule").

The defaults are a dict in settings and name only tasks that exist: a typo in a task name is not an
error anywhere else, beat would send the message and the worker would drop it, so the reminder
would silently never run. Beat keeps the schedule in the database (django-celery-beat's
DatabaseScheduler); the tests start that scheduler class against the test database, as
`celery beat -S django` does, and read what it wrote.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.urls import reverse
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from zqztc import celery_app

SH = ZoneInfo("Asia/Shanghai")


# The scheduler reads and writes through Django's connection and, like beat, closes it when it
# syncs (close_old_connections): only a test database in autocommit mode survives that.
in_the_database = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def start_beat():
    """What `celery -A zqztc beat -S django` does when it starts (not lazy: it sets up at once)."""
    started: list[DatabaseScheduler] = []

    def start() -> DatabaseScheduler:
        scheduler = DatabaseScheduler(app=celery_app)
        scheduler.schedule  # noqa: B018 — the first read loads the enabled entries from the database
        started.append(scheduler)
        return scheduler

    yield start
    for scheduler in started:
        # Its finaliser would sync, and close the connection, whenever it is garbage-collected.
        scheduler._finalize.cancel()


def test_beat_schedule_is_a_dict_in_settings():
    assert isinstance(settings.CELERY_BEAT_SCHEDULE, dict)


def test_every_beat_entry_names_a_registered_task():
    celery_app.loader.import_default_modules()
    registered = set(celery_app.tasks)

    unknown = {
        name: entry["task"]
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"] not in registered
    }

    assert unknown == {}


def test_beat_reads_its_schedule_from_the_database():
    assert celery_app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    # Without -S, and with `-S django` as in docker-compose.yml (the alias django-celery-beat
    # registers), beat's service builds the database scheduler.
    for beat in (celery_app.Beat(), celery_app.Beat(scheduler="django")):
        service = beat.Service(app=celery_app, scheduler_cls=beat.scheduler_cls)
        scheduler = service.get_scheduler(lazy=True)
        scheduler._finalize.cancel()
        assert type(scheduler) is DatabaseScheduler


def test_the_reminder_jobs_rerun_hourly_through_the_working_day_and_notices_every_minute():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["daily-reminders"]["schedule"] == crontab(hour="8-18", minute=0)
    assert schedule["thursday-progress"]["schedule"] == crontab(hour="9-18", minute=0)
    assert schedule["deliver-notices"] == {
        "task": "notices.tasks.deliver_due",
        "schedule": crontab(minute="*"),
    }


@in_the_database
def test_starting_beat_installs_the_defaults_as_periodic_tasks_in_shanghai_time(start_beat):
    assert not PeriodicTask.objects.exists()
    scheduler = start_beat()

    rows = {row.name: row for row in PeriodicTask.objects.select_related("crontab")}
    assert set(rows) == set(settings.CELERY_BEAT_SCHEDULE)  # and no backend_cleanup of beat's own
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        row = rows[name]
        assert row.task == entry["task"]
        assert row.enabled
        expected = entry["schedule"]
        assert (row.crontab.minute, row.crontab.hour) == (
            str(expected._orig_minute),
            str(expected._orig_hour),
        )
        assert str(row.crontab.timezone) == "Asia/Shanghai", name
    assert set(scheduler.schedule) == set(settings.CELERY_BEAT_SCHEDULE)
    # A second start (a redeploy) writes no second row.
    start_beat()
    assert PeriodicTask.objects.count() == len(settings.CELERY_BEAT_SCHEDULE)


@in_the_database
def test_the_daily_digest_is_due_at_eight_and_each_hour_until_six_shanghai_time(start_beat):
    entry = start_beat().schedule["daily-reminders"]
    due = []
    with time_machine.travel(datetime(2026, 11, 3, 0, 0, 30, tzinfo=SH), tick=False) as clock:
        for _ in range(24 * 4):
            clock.shift(timedelta(minutes=15))
            entry.model.last_run_at = datetime.now(SH) - timedelta(minutes=15)
            if entry.schedule.is_due(entry.model.last_run_at).is_due:
                due.append(datetime.now(SH).strftime("%H:%M"))
    assert due == [f"{h:02d}:00" for h in range(8, 19)]


@in_the_database
def test_what_the_admin_changes_survives_a_restart_but_the_defaults_timing_is_reset(
    start_beat, admin_client
):
    start_beat()
    # In the admin: turn the sweep off, add a job of one's own, move the digest to nine.
    PeriodicTask.objects.filter(name="monthly-sweep").update(enabled=False)
    extra = PeriodicTask.objects.create(
        name="extra sweep",
        task="supervision.tasks.monthly_sweep",
        crontab=CrontabSchedule.objects.create(hour="12", minute="0", timezone="Asia/Shanghai"),
    )
    nine = CrontabSchedule.objects.create(hour="9", minute="0", timezone="Asia/Shanghai")
    PeriodicTask.objects.filter(name="daily-reminders").update(crontab=nine)

    scheduler = start_beat()  # the redeploy

    assert "monthly-sweep" not in scheduler.schedule
    assert not PeriodicTask.objects.get(name="monthly-sweep").enabled
    assert scheduler.schedule["extra sweep"].model.pk == extra.pk
    # The timing of an entry named in settings comes back from settings at every start: change it
    # there, or disable the entry and add one under another name (docs/jobs.md, "Beat's schedule").
    assert PeriodicTask.objects.get(name="daily-reminders").crontab.hour == "8-18"
    page = admin_client.get(reverse("admin:django_celery_beat_periodictask_changelist"))
    assert page.status_code == 200
    for name in [*settings.CELERY_BEAT_SCHEDULE, "extra sweep"]:
        assert name in page.content.decode()
