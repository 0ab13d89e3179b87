"""One task end to end through a real Celery worker and a real Redis broker (CI has both)."""

import os
from datetime import date

import pytest
import redis
from celery.backends.redis import RedisBackend
from celery.contrib.testing.worker import start_worker
from celery.result import AsyncResult
from django.db import connection

from supervision import tasks
from supervision.models import Sweep
from tests.petitions import flow
from zqztc.celery import app

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_is_up() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def real_worker(settings):
    if not redis_is_up():
        pytest.skip(f"no Redis at {REDIS_URL}")
    if connection.vendor != "postgresql":
        pytest.skip("the worker thread needs a database server (SQLite's shared memory DB locks)")
    before = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "result_backend")}
    app.conf.update(task_always_eager=False, broker_url=REDIS_URL, result_backend=REDIS_URL)
    with start_worker(
        app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=10
    ):
        yield
    app.conf.update(before)


@pytest.mark.slow
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_monthly_sweep_runs_on_a_real_worker(world, real_worker, time_machine):
    time_machine.move_to("2026-11-25 08:00:00+08:00", tick=True)
    flow.assigned(world)
    # Read results through an explicit backend: the app's own is cached per thread by earlier tests.
    backend = RedisBackend(app=app, url=REDIS_URL)

    def run() -> dict:
        return AsyncResult(tasks.monthly_sweep.delay().id, backend=backend, app=app).get(timeout=30)

    result = run()
    assert result["month"] == "2026-11"
    assert Sweep.objects.get().month == date(2026, 11, 1)
    # The same task again, as a second beat would send it: nothing more.
    assert run() == {"skipped": "not due or already ran"}
