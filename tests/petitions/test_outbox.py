"""A broker outage never loses a notice nor fails the request (docs/architecture.md §7: tasks)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from petitions import notify
from petitions.models import Notification, Petition, PetitionEvent
from petitions.tasks import send_event_notice
from tests.conftest import reset_celery_connections
from tests.petitions import flow
from zqztc.celery import app

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down():
    """Point Celery at a port where no broker listens, as when Redis is stopped."""
    before = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:6399/0"
    reset_celery_connections()
    yield
    app.conf.task_always_eager, app.conf.broker_url = before
    reset_celery_connections()


def test_a_petition_is_accepted_while_the_broker_is_down(
    world, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        petition = flow.registered(world)
    event = petition.events.get(action="register")
    assert event.notified_at is None
    assert mail.outbox == []


def test_pending_notices_are_sent_once_the_broker_is_back(
    world, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        petition = flow.registered(world)
    app.conf.task_always_eager = True  # the broker is back (eager stands in for the worker here)
    PetitionEvent.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    assert notify.flush_pending(send_event_notice) == 1
    event = petition.events.get(action="register")
    assert event.notified_at is not None
    assert len(mail.outbox) == 1
    # Running the flush again sends nothing more.
    assert notify.flush_pending(send_event_notice) == 0
    assert len(mail.outbox) == 1


def test_a_notice_is_delivered_once_even_if_its_task_runs_twice(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        petition = flow.registered(world)
    event = petition.events.get(action="register")
    assert event.notified_at is not None
    sent_before = len(mail.outbox)
    assert send_event_notice(event.pk) == 0
    assert len(mail.outbox) == sent_before
    assert Notification.objects.filter(event=event).count() == 2


def test_fresh_pending_notices_are_left_for_their_own_task(
    world, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        flow.registered(world)
    app.conf.task_always_eager = True
    assert notify.flush_pending(send_event_notice) == 0


@pytest.fixture
def private_redis(tmp_path):
    """A Redis server of the test's own, on a spare port, that the test can stop and start."""
    import shutil
    import socket
    import subprocess
    import time

    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"

    class Server:
        process = None

        def start(self):
            self.process = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                cwd=tmp_path,
                stdout=subprocess.DEVNULL,
            )
            client = redis.Redis.from_url(url)
            for _ in range(50):
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    time.sleep(0.1)
            raise RuntimeError("redis-server did not start")

        def stop(self):
            self.process.terminate()
            self.process.wait(timeout=10)

        def queued(self) -> int:
            return redis.Redis.from_url(url).llen("celery")

    server = Server()
    server.start()
    before = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = url
    reset_celery_connections()
    yield server
    if server.process.poll() is None:
        server.stop()
    app.conf.task_always_eager, app.conf.broker_url = before
    reset_celery_connections()


def test_stopping_redis_loses_nothing_and_the_backlog_goes_out_when_it_is_back(
    world, private_redis, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        flow.registered(world)
    assert private_redis.queued() == 1  # queued normally while Redis is up
    private_redis.stop()
    with django_capture_on_commit_callbacks(execute=True):
        petition = flow.registered(world)  # accepted while Redis is down
    assert Petition.objects.filter(pk=petition.pk).exists()
    private_redis.start()  # Redis is back, empty (it keeps nothing on disk)
    reset_celery_connections()
    PetitionEvent.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    # Both notices are still pending (no worker ran), so both go out again; nothing is lost.
    assert notify.flush_pending(send_event_notice) == 2
    assert private_redis.queued() == 2
