"""Faults as production meets them, with nothing replaced: a real Celery worker process (and beat,
with the database scheduler) on a Redis server of the test's own, a real SMTP server and a real SMS
gateway on 127.0.0.1. The mail server, the gateway, the worker and the broker fail in the middle of
a burst of notices; every notice still arrives, and exactly once — except the one a killed worker
had already handed over, which arrives again under the same Message-ID / Idempotency-Key so the
receiver can drop it (docs/sms.md, "The delivery key").

The worker runs in its own process with its own database connections, so these tests commit
(`transaction=True`) and run on PostgreSQL only. Retries wait 30 s and more (notices/sender.py
`backoff`, a constant, not a setting): the tests play the passing of that time by setting
`next_attempt_at` to now, and a dead worker's lease (5 minutes, also a constant) by setting
`lease_until` to the past — the worker's own code decides everything else.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notices import tasks
from notices.models import Channel, Delivery, Status
from notices.sender import LEASE
from petitions.models import Petition, PetitionType
from tests.conftest import reset_celery_connections
from tests.notices.gateway import SmsGateway
from tests.notices.smtp import SmtpSink
from tests.petitions import flow
from zqztc.celery import app

pytestmark = [
    pytest.mark.slow,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
SENT_BY_CHANNEL = [Channel.EMAIL, Channel.SMS]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A redis-server of the test's own that it can stop and start on the same port; it keeps
    nothing on disk, so what was queued is gone after a restart, as after a crash."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server")
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *(self.binary, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Celery:
    """`celery worker` and `celery beat` processes of this deployment, pointed at the test's
    database, broker, mail server and gateway through the environment, as in production."""

    def __init__(self, workdir: Path, broker: RedisServer, sink: SmtpSink, gateway: SmsGateway):
        self.workdir = workdir
        self.processes: list[subprocess.Popen] = []
        db = connection.settings_dict
        password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
        database_url = (
            f"postgres://{quote(db['USER'] or 'postgres', safe='')}{password}"
            f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("REDIS_URL", "CACHE_URL", "EMAIL_URL", "SMS_URL", "PG_OPTIONS")
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="zqztc.settings",
            DATABASE_URL=database_url,
            SECRET_KEY=settings.SECRET_KEY,
            DEBUG="0",
            CELERY_BROKER_URL=broker.url,
            CELERY_TASK_ALWAYS_EAGER="0",
            EMAIL_URL=f"smtp://127.0.0.1:{sink.port}",
            SMS_URL=gateway.sms_url(timeout=10),
            LOG_LEVEL="WARNING",
        )

    def _spawn(self, name: str, *args: str) -> subprocess.Popen:
        out = (self.workdir / f"{name}.log").open("a")
        process = subprocess.Popen(
            [CELERY, "-A", "zqztc", *args],
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # kill -9 takes its pool processes with it
        )
        self.processes.append(process)
        return process

    def worker(self, concurrency: int = 1) -> subprocess.Popen:
        name = f"faults{len(self.processes)}-{os.getpid()}@{socket.gethostname()}"
        process = self._spawn(
            "worker",
            *("worker", f"--concurrency={concurrency}", "-Q", "celery", "-n", name),
            *("-l", "WARNING", "--without-gossip", "--without-mingle"),
        )
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[name], timeout=0.5):
            assert process.poll() is None, f"the worker exited:\n{self.logs()}"
            assert time.monotonic() < deadline, f"the worker did not answer:\n{self.logs()}"
        return process

    def beat(self) -> subprocess.Popen:
        return self._spawn(
            "beat",
            *("beat", "-l", "WARNING", "--max-interval", "1"),
            *("--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"),
            *("--pidfile", str(self.workdir / "beat.pid"), "-s", str(self.workdir / "beat.db")),
        )

    def kill(self, process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        # The test is over and they are idle: a graceful shutdown would only cost seconds.
        for process in self.processes:
            if process.poll() is None:
                self.kill(process)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text()[-3000:]}" for path in self.workdir.glob("*.log")
        )


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs a database server it can share")
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")


@pytest.fixture
def broker(postgres, tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    before = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = server.url
    reset_celery_connections()
    yield server
    server.stop()
    app.conf.task_always_eager, app.conf.broker_url = before
    reset_celery_connections()


@pytest.fixture
def sink():
    # aiosmtpd logs every SMTP command at INFO: thousands of lines in a failure's report.
    quiet = logging.getLogger("mail.log")
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    with SmtpSink() as sink:
        yield sink
    quiet.setLevel(level)


@pytest.fixture
def gateway():
    with SmsGateway() as gateway:
        yield gateway


@pytest.fixture
def celery(transactional_db, broker, sink, gateway, tmp_path):
    """Stopped before the test's tables are emptied (the transactional_db fixture's teardown)."""
    processes = Celery(tmp_path, broker, sink, gateway)
    yield processes
    processes.stop_all()


# --- what the tests look at ----------------------------------------------------------------------


def rows(channel: str | None = None):
    rows = Delivery.objects.filter(channel__in=SENT_BY_CHANNEL)
    return rows.filter(channel=channel) if channel else rows


def wait_until(
    predicate: Callable[[], bool], what: str, celery: Celery, timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            states = Counter(rows().values_list("status", flat=True))
            raise AssertionError(f"not {what} within {timeout} s: {dict(states)}\n{celery.logs()}")
        time.sleep(0.1)


def all_sent() -> bool:
    return not rows().exclude(status=Status.SENT).exists()


def settled() -> bool:
    """The worker has done all it can for now: nothing claimed, nothing due."""
    waiting = rows().filter(status__in=[Status.PENDING, Status.SENDING])
    return not waiting.filter(
        Q(status=Status.SENDING) | Q(next_attempt_at__lte=timezone.now())
    ).exists()


def time_passes() -> None:
    """The backoff delay is over (30 s for a first retry, notices/sender.py)."""
    rows().filter(status=Status.PENDING).update(next_attempt_at=timezone.now())


def drain(celery: Celery, rounds: int = 8) -> int:
    """Retry until everything is sent, as the every-minute sweep does; returns the rounds needed."""
    for done in range(rounds):
        wait_until(settled, "settled", celery)
        if all_sent():
            return done
        time_passes()
        tasks.deliver_due.delay()
    wait_until(all_sent, "all sent", celery)
    return rounds


def burst(world, n: int) -> list[Petition]:
    """n petitions registered one after the other, each telling the firm by e-mail and SMS."""
    return [flow.registered(world) for _ in range(n)]


def mail_key(message) -> str:
    # The delivery key travels in a header of its own; a long one is folded onto two lines.
    return "".join(str(message["X-ZQZTC-Delivery"]).split())


def received_mail(sink: SmtpSink) -> Counter:
    with sink.lock:
        return Counter(mail_key(m) for m in sink.messages)


def keys(channel: str) -> Counter:
    return Counter(rows(channel).values_list("key", flat=True))


def assert_each_once(sink: SmtpSink, gateway: SmsGateway) -> None:
    """Every e-mail and SMS row sent, and received exactly once: none lost, none doubled."""
    assert rows().exists()
    assert all_sent()
    assert received_mail(sink) == keys(Channel.EMAIL)
    assert set(sink.message_ids().values()) == {1}
    assert gateway.keys() == keys(Channel.SMS)


# --- the faults ----------------------------------------------------------------------------------


def test_the_mail_server_going_away_mid_burst_loses_no_mail_and_doubles_none(
    world, celery, sink, gateway
):
    celery.worker()
    burst(world, 10)
    wait_until(all_sent, "the first ten sent", celery)
    # Stopped between two sessions: a server that dies after taking a message but before its
    # "250 OK" reaches the worker gets that message again under the same Message-ID (by design,
    # docs/sms.md "The delivery key"), which would make "exactly once" a matter of luck here.
    sink.stop()
    during = burst(world, 10)  # the firms' requests go through while mail is down
    outage = rows(Channel.EMAIL).filter(petition__in=during)

    def tried() -> bool:
        return settled() and not outage.filter(attempts=0).exists()

    wait_until(tried, "the outage's mails tried", celery)
    assert {(d.status, d.attempts) for d in outage} == {(Status.PENDING, 1)}
    assert all("mail server" in d.reason for d in outage)
    assert not rows(Channel.SMS).exclude(status=Status.SENT).exists()  # SMS unaffected
    sink.start()
    burst(world, 10)
    assert drain(celery) == 1  # one retry after the backoff sends the outage's mails
    assert_each_once(sink, gateway)
    assert rows(Channel.EMAIL).count() == 30 * 3  # the firm's address and its two accounts


def test_an_sms_gateway_failing_one_call_in_five_still_texts_each_notice_once(
    world, celery, sink, gateway
):
    gateway.fail_fraction(0.2, 503, seed=3)
    celery.worker()
    burst(world, 30)
    rounds = drain(celery)
    assert_each_once(sink, gateway)
    outcomes = Counter(call.outcome for call in gateway.calls)
    assert outcomes["503"] >= 3
    assert outcomes["accepted"] == rows(Channel.SMS).count() == 30
    assert rounds >= 1
    # Each refused call cost its row exactly one more attempt, no more.
    attempts = rows(Channel.SMS).values_list("attempts", flat=True)
    assert sum(n - 1 for n in attempts) == outcomes["503"]


def test_a_worker_killed_mid_burst_doubles_at_most_what_it_had_in_hand(
    world, celery, sink, gateway, record_property
):
    concurrency = 2
    first = celery.worker(concurrency=concurrency)
    burst(world, 5)
    wait_until(all_sent, "the first five sent", celery)
    # The next SMS is taken by the gateway, which then keeps the worker waiting for its answer:
    # the worker dies with a message handed over but not yet marked sent.
    gateway.fail_next(1, "timeout-after-accept")
    burst(world, 10)
    wait_until(
        lambda: any(c.outcome == "timeout-after-accept" for c in gateway.calls),
        "the SMS in hand",
        celery,
    )
    in_hand = next(c for c in gateway.calls if c.outcome == "timeout-after-accept").headers[
        "idempotency-key"
    ]
    killed_at = timezone.now()
    celery.kill(first)  # kill -9, its pool with it
    burst(world, 10)  # no worker: the web side queues and goes on
    celery.worker(concurrency=concurrency)
    tasks.deliver_due.delay()  # the sweep: the dead worker's queued tasks stay with it an hour

    def only_the_dead_workers_claims_left() -> bool:
        left = rows().exclude(status=Status.SENT)
        return not left.exclude(status=Status.SENDING, lease_until__lte=killed_at + LEASE).exists()

    wait_until(only_the_dead_workers_claims_left, "the new worker done", celery)
    # What the dead worker claimed waits for its lease to end; the rest went out.
    held = rows().filter(status=Status.SENDING)
    assert in_hand in set(held.values_list("key", flat=True))
    assert gateway.keys()[in_hand] == 1
    held.update(lease_until=timezone.now() - timedelta(seconds=1))  # the 5 minutes are over
    tasks.deliver_due.delay()
    drain(celery)

    mail, texts = received_mail(sink), gateway.keys()
    doubled = {k: n for k, n in (mail + texts).items() if n > 1}
    record_property("duplicates", sum(n - 1 for n in doubled.values()))
    log.warning("duplicates after kill -9: %s", doubled)
    assert in_hand in doubled  # the message in hand went again …
    assert sum(n - 1 for n in doubled.values()) <= concurrency  # … at most one per pool process
    # … under its own key, which the receiver can drop; nothing else doubled, nothing lost.
    assert set(mail) == set(keys(Channel.EMAIL))
    assert set(texts) == set(keys(Channel.SMS))
    for call in gateway.calls:  # the header and the body carry the same key, every time
        assert call.headers["idempotency-key"] == json.loads(call.body)["key"]
    with sink.lock:
        ids = {mail_key(m): set() for m in sink.messages}
        for m in sink.messages:
            ids[mail_key(m)].add(m["Message-ID"])
    assert all(len(v) == 1 for v in ids.values())  # one Message-ID per delivery, resent or not
    assert all_sent()


def test_the_web_side_goes_on_while_redis_is_down_and_beat_sends_the_backlog_once_it_is_back(
    world, celery, broker, sink, gateway
):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    # Beat from the database, its every-minute sweep compressed to a second; the daily jobs of
    # CELERY_BEAT_SCHEDULE stay off (beat keeps a task's `enabled` when it syncs the settings).
    second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.update(enabled=False)  # whatever a migration may have put there
    off = {"interval": second, "crontab": None, "solar": None, "clocked": None, "enabled": False}
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        PeriodicTask.objects.update_or_create(name=name, defaults={"task": entry["task"], **off})
    PeriodicTask.objects.create(
        name="faults: deliver every second", task="notices.tasks.deliver_due", interval=second
    )
    worker = celery.worker()
    beat = celery.beat()
    cache.clear()  # the portal's submission limits count in this process's cache
    firms = [Client(), Client()]
    firms[0].force_login(world.firm_user)
    firms[1].force_login(world.colleague)

    def submit(n: int) -> list[Petition]:
        petitions = []
        for i in range(n):
            response = firms[i % 2].post(
                reverse("portal:submit"),
                {
                    "type": PetitionType.COMPLAINT,
                    "title": f"厂区道路积水第{Petition.objects.count() + 1}次",
                    "content": "园区东门道路每逢下雨严重积水，货车无法进出。",
                    "request": "请尽快疏通排水管道。",
                    "similar_checked": "1",
                },
            )
            assert response.status_code == 302, response.content.decode()[:500]
            petitions.append(Petition.objects.order_by("-pk").first())
        return petitions

    submit(3)
    wait_until(all_sent, "the first three sent", celery)
    broker.stop()
    during = submit(4)  # no exception: accepted, its notices written with it
    assert rows().filter(petition__in=during).count() == 4 * 4  # three mails and one SMS each
    broker.start()  # empty: whatever was queued is gone
    reset_celery_connections()
    submit(3)
    # No task was queued for the outage's petitions: beat's sweep sends them.
    wait_until(all_sent, "the backlog sent by beat", celery, timeout=45)
    assert_each_once(sink, gateway)
    assert worker.poll() is None  # both rode out the outage: reconnected, not restarted
    assert beat.poll() is None
