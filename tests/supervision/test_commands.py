"""The job commands (`manage.py daily_reminders|thursday_progress|monthly_sweep [--on YYYY-MM-DD]`):
the same functions as the Celery tasks, rerunnable for a past day, and safe to run twice
(docs/conventions.md C7). The reminder commands say what they did in words (sent, resumed, already
done, caught up), then print the result as JSON on the last line (docs/jobs.md, "Commands")."""

import json
from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command

from notices import sender
from notices.models import Delivery
from petitions.models import Role, User
from supervision import reminders
from supervision.models import JobRun, KeyStatus, KeySupervision, Reminder, Sweep, SweepItem
from tests.factories import member
from tests.petitions import flow

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
JOB_COMMANDS = ["daily_reminders", "thursday_progress", "monthly_sweep"]


def said(command: str, *args: str) -> list[str]:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue().splitlines()


def run(command: str, *args: str) -> dict:
    return json.loads(said(command, *args)[-1])


def deliver() -> None:
    """What the delivery worker does every minute (notices/sender.py)."""
    sender.deliver_due()


def digests(to: User) -> list:
    """The reminder e-mails to one person, not the notices of the petitions' own events."""
    return [
        m
        for m in mail.outbox
        if m.to == [to.email] and m.extra_headers["X-ZQZTC-Delivery"].startswith("digest:")
    ]


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=SH)


# --- daily_reminders ------------------------------------------------------------------------------


def test_daily_reminders_for_a_past_day_sends_that_days_digests_once(world):
    with time_machine.travel(at(2026, 11, 2), tick=False):  # Monday
        petition = flow.assigned(world)  # contact due Tue 3 Nov
    lines = said("daily_reminders", "--on", "2026-11-03")
    result = json.loads(lines[-1])
    assert result["closed_keys"] == 0
    assert result["digests"] == {
        "period": "2026-11-03",
        "told": 1,
        "already": 0,
        "nobody": 0,
        "failed": 0,
        "resumed": False,
        "late": False,
        "finished": True,
    }
    assert lines[0] == "Daily digest 2026-11-03: told 1; finished."
    deliver()
    [message] = digests(world.handler)
    assert petition.number in message.body
    # A second run for the same day sends nothing more, and says so.
    lines = said("daily_reminders", "--on", "2026-11-03")
    assert lines[0] == "Daily digest: already done; nothing sent."
    assert json.loads(lines[-1]) == {"digests": {"skipped": "already ran"}, "closed_keys": 0}
    deliver()
    assert len(digests(world.handler)) == 1
    assert Reminder.objects.filter(on_date=date(2026, 11, 3)).count() == 1
    assert JobRun.objects.filter(job="daily_digest").count() == 1


def test_daily_reminders_says_when_it_resumes_a_run_that_died(world, monkeypatch):
    crowd = [member(world.dept, Role.HANDLER, username=f"h{i}") for i in range(3)]
    with time_machine.travel(at(2026, 11, 2), tick=False):
        flow.assigned(world)
    real = reminders.tell_one
    calls = []

    def dies_on_the_third(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or a killed worker
        return real(**kwargs)

    monkeypatch.setattr(reminders, "tell_one", dies_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        call_command("daily_reminders", "--on", "2026-11-03", stdout=StringIO())
    monkeypatch.undo()
    lines = said("daily_reminders", "--on", "2026-11-03")
    assert lines[0] == (
        "Daily digest 2026-11-03: told 2; "
        "resumed a run that had not finished (2 already told); finished."
    )
    deliver()
    for person in [world.handler, *crowd]:
        assert len(digests(person)) == 1


def test_daily_reminders_says_which_missed_days_it_caught_up(world):
    with time_machine.travel(at(2026, 11, 2), tick=False):
        flow.assigned(world)
    said("daily_reminders", "--on", "2026-11-02")
    lines = said("daily_reminders", "--on", "2026-11-05")
    assert lines[0] == (
        "Daily digest 2026-11-05: told 1; caught up 2026-11-03, 2026-11-04 (marked late); finished."
    )
    assert said("daily_reminders", "--on", "2026-11-04")[0] == (
        "Daily digest: missed; covered by the digest of 2026-11-05; nothing sent."
    )


def test_daily_reminders_without_on_runs_for_today(world):
    with time_machine.travel(at(2026, 11, 2), tick=False):
        flow.assigned(world)
    with time_machine.travel(at(2026, 11, 3, 8), tick=False):
        result = run("daily_reminders")
    assert result["digests"]["told"] == 1
    assert JobRun.objects.get(job="daily_digest").period == "2026-11-03"


def test_daily_reminders_sends_nothing_on_a_rest_day(world):
    with time_machine.travel(at(2026, 11, 2), tick=False):
        flow.assigned(world)
    lines = said("daily_reminders", "--on", "2026-10-03")
    assert json.loads(lines[-1])["digests"] == {"skipped": "rest day"}
    assert lines[0] == "Daily digest: rest day; nothing sent."
    deliver()
    assert digests(world.handler) == []
    assert not JobRun.objects.exists()


def test_daily_reminders_closes_out_key_items_whose_petition_is_settled_once(world):
    petition = flow.concluded(world)
    key = KeySupervision.objects.create(
        petition=petition, status=KeyStatus.APPROVED, reasons="长期未办结"
    )
    assert run("daily_reminders", "--on", "2026-10-03")["closed_keys"] == 1
    key.refresh_from_db()
    assert key.status == KeyStatus.CLOSED
    closed_at = key.closed_at
    assert run("daily_reminders", "--on", "2026-10-03")["closed_keys"] == 0
    key.refresh_from_db()
    assert key.closed_at == closed_at


# --- thursday_progress ----------------------------------------------------------------------------


def test_thursday_progress_for_a_past_thursday_reminds_each_silent_unit_once(world):
    with time_machine.travel(at(2026, 11, 2), tick=False):
        quiet = flow.in_progress(world)
    lines = said("thursday_progress", "--on", "2026-11-12")
    result = json.loads(lines[-1])
    assert (result["units"], result["told"], result["finished"]) == (1, 1, True)
    assert lines[0] == "Thursday progress reminder 2026-11-12: told 1; finished."
    deliver()
    [message] = digests(world.handler)
    assert quiet.number in message.body
    assert run("thursday_progress", "--on", "2026-11-12") == {"skipped": "already ran"}
    assert run("thursday_progress", "--on", "2026-11-13") == {"skipped": "already ran"}
    deliver()
    assert len(digests(world.handler)) == 1
    assert Reminder.objects.filter(kind=Reminder.Kind.THURSDAY).count() == 1


def test_thursday_progress_on_friday_after_a_missed_thursday_says_it_is_late(world):
    with time_machine.travel(at(2026, 11, 2), tick=False):
        flow.in_progress(world)
    lines = said("thursday_progress", "--on", "2026-11-13")
    assert lines[0] == "Thursday progress reminder 2026-11-12: told 1; sent late; finished."
    assert json.loads(lines[-1])["late"] is True


def test_thursday_progress_before_thursday_does_nothing(world):
    assert run("thursday_progress", "--on", "2026-11-11") == {"skipped": "that week is over"}
    assert run("thursday_progress", "--on", "2026-11-09") == {"skipped": "that week is over"}
    assert not JobRun.objects.exists()


# --- monthly_sweep --------------------------------------------------------------------------------


def test_monthly_sweep_for_a_past_sweep_day_sweeps_that_month_once(world):
    with time_machine.travel(at(2026, 11, 2), tick=False):
        late = flow.assigned(world)
    assert run("monthly_sweep", "--on", "2026-11-25") == {
        "month": "2026-11",
        "items": 1,
        "proposed": 1,
    }
    assert list(SweepItem.objects.values_list("petition_id", flat=True)) == [late.pk]
    assert run("monthly_sweep", "--on", "2026-11-25") == {"skipped": "not due or already ran"}
    assert run("monthly_sweep", "--on", "2026-11-30") == {"skipped": "not due or already ran"}
    assert Sweep.objects.count() == 1
    assert KeySupervision.objects.filter(petition=late).count() == 1


def test_monthly_sweep_before_the_sweep_day_does_nothing(world):
    with time_machine.travel(at(2026, 11, 2), tick=False):
        flow.assigned(world)
    assert run("monthly_sweep", "--on", "2026-11-24") == {"skipped": "not due or already ran"}
    assert not Sweep.objects.exists()


# --- bad arguments --------------------------------------------------------------------------------


@pytest.mark.parametrize("command", JOB_COMMANDS)
@pytest.mark.parametrize("bad", ["2026-13-01", "25/11/2026", "yesterday", "2026-02-30"])
def test_a_bad_on_date_is_refused_with_a_clear_message_and_runs_nothing(world, command, bad):
    with time_machine.travel(at(2026, 11, 2), tick=False):
        flow.assigned(world)
    with pytest.raises(CommandError, match=r"--on must be a date like 2026-11-25, not '.+'"):
        call_command(command, "--on", bad, stdout=StringIO())
    assert not JobRun.objects.exists()
    assert not Sweep.objects.exists()
    assert not Reminder.objects.exists()
    assert not Delivery.objects.filter(key__startswith="digest:").exists()


def test_the_job_commands_do_not_touch_petitions(world):
    """Reminders and sweeps only read petitions: a rerun for any day changes no state or deadline."""
    with time_machine.travel(at(2026, 11, 2), tick=False):
        petition = flow.assigned(world)
    before = (petition.state, petition.due_on, petition.events.count())
    for command in JOB_COMMANDS:
        run(command, "--on", "2026-11-26")
    petition.refresh_from_db()
    assert (petition.state, petition.due_on, petition.events.count()) == before
