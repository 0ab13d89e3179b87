"""Tasks end to end through a real Celery worker and a real Redis broker.

The broker is a redis-server of the test's own on a free port when the binary is installed, so no
other worker listening on a shared Redis can take the test's tasks; otherwise the Redis at REDIS_URL
(CI has both)."""

import os
import shutil
import time
from datetime import date

import pytest
import redis
from celery.backends.redis import RedisBackend
from celery.contrib.testing.worker import start_worker
from celery.result import AsyncResult
from django.core import mail
from django.db import connection

from notices.models import Delivery, Status
from supervision import tasks
from supervision.models import JobRun, Reminder, Sweep
from tests.conftest import reset_celery_connections
from tests.petitions import flow
from tests.petitions.test_ratelimit_redis import RedisServer
from zqztc.celery import app

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_is_up(url: str) -> bool:
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def broker_url():
    if shutil.which("redis-server"):
        server = RedisServer()
        try:
            yield server.url
        finally:
            server.kill()
        return
    if not redis_is_up(REDIS_URL):
        pytest.skip(f"no redis-server and no Redis at {REDIS_URL}")
    yield REDIS_URL


@pytest.fixture
def real_worker(broker_url):
    if connection.vendor != "postgresql":
        pytest.skip("the worker thread needs a database server (SQLite's shared memory DB locks)")
    before = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "result_backend")}
    app.conf.update(task_always_eager=False, broker_url=broker_url, result_backend=broker_url)
    reset_celery_connections()
    try:
        with start_worker(
            app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=10
        ):
            # Read results through an explicit backend: the app's own is cached per thread.
            yield RedisBackend(app=app, url=broker_url)
    finally:
        app.conf.update(before)
        reset_celery_connections()


def run(task, backend) -> dict:
    return AsyncResult(task.delay().id, backend=backend, app=app).get(timeout=30)


@pytest.mark.slow
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_monthly_sweep_runs_on_a_real_worker(world, real_worker, time_machine):
    time_machine.move_to("2026-11-25 08:00:00+08:00", tick=True)
    flow.assigned(world)

    result = run(tasks.monthly_sweep, real_worker)
    assert result["month"] == "2026-11"
    assert Sweep.objects.get().month == date(2026, 11, 1)
    # The same task again, as a second beat would send it: nothing more.
    assert run(tasks.monthly_sweep, real_worker) == {"skipped": "not due or already ran"}


@pytest.mark.slow
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_daily_digest_runs_on_a_real_worker_and_its_mail_goes_out_through_the_queue(
    world, real_worker, time_machine
):
    time_machine.move_to("2026-11-03 08:00:00+08:00", tick=True)
    petition = flow.assigned(world)  # contact due on Wednesday, the next working day

    result = run(tasks.daily_reminders, real_worker)

    assert result["digests"]["told"] == 1
    assert result["digests"]["finished"] is True
    assert Reminder.objects.get().user == world.handler
    # Each person's notice queued its delivery after its commit; the worker sends it.
    email = Delivery.objects.get(user=world.handler, kind="unit.due", channel="email")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        email.refresh_from_db()
        if email.status == Status.SENT:
            break
        time.sleep(0.2)
    assert email.status == Status.SENT
    [message] = [
        m
        for m in mail.outbox
        if m.extra_headers["X-ZQZTC-Delivery"] == email.key  # not the petition's own notices
    ]
    assert message.to == [world.handler.email]
    assert petition.number in message.body
    # The hourly catch-up on the same day: nothing more.
    assert run(tasks.daily_reminders, real_worker)["digests"] == {"skipped": "already ran"}
    assert JobRun.objects.get(job="daily_digest").status == JobRun.Status.FINISHED
