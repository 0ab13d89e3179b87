"""A broker outage never loses a notice nor fails the request (docs/architecture.md §7, docs/notices.md):
the delivery rows are written with the event; the task that sends them after commit is only a
shortcut, and the worker's sweep (notices.tasks.deliver_due, every minute) sends whatever it missed."""

import pytest
from django.core import mail

from notices import sender, tasks
from notices.models import Channel, Delivery, Status
from petitions.models import Notification, Petition
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


def pending_mail() -> int:
    return Delivery.objects.filter(channel=Channel.EMAIL, status=Status.PENDING).count()


def test_a_petition_is_accepted_while_the_broker_is_down(
    world, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        petition = flow.registered(world)
    assert Petition.objects.filter(pk=petition.pk).exists()
    assert mail.outbox == []
    assert pending_mail() == 3
    # The portal notices need no broker: they are written with the event.
    assert Notification.objects.filter(petition=petition).count() == 2


def test_pending_notices_are_sent_once_the_broker_is_back(
    world, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        flow.registered(world)
    app.conf.task_always_eager = True  # the broker is back (eager stands in for the worker here)
    tasks.deliver_due.delay()
    assert len(mail.outbox) == 3
    assert pending_mail() == 0
    tasks.deliver_due.delay()  # the sweep again sends nothing more
    assert len(mail.outbox) == 3


def test_a_notice_is_delivered_once_even_if_its_task_runs_twice(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        petition = flow.registered(world)
    sent = len(mail.outbox)
    ids = list(Delivery.objects.filter(petition=petition).values_list("pk", flat=True))
    assert tasks.deliver(ids) == {}
    assert sender.deliver_due() == {}
    assert len(mail.outbox) == sent


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
    assert private_redis.queued() == 1  # the send task queued normally while Redis is up
    private_redis.stop()
    with django_capture_on_commit_callbacks(execute=True):
        petition = flow.registered(world)  # accepted while Redis is down
    assert Petition.objects.filter(pk=petition.pk).exists()
    private_redis.start()  # Redis is back, empty (it keeps nothing on disk): both tasks are gone
    reset_celery_connections()
    assert private_redis.queued() == 0
    # The worker's sweep needs no queued task: every pending delivery of both petitions goes out.
    assert sender.deliver_due()["sent"] == 2 * 4
    assert len(mail.outbox) == 6
    assert pending_mail() == 0
