"""A broker outage never loses a notice nor fails the request (ARCHITECTURE: tasks)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from petitions import notify
from petitions.models import Notification, PetitionEvent
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
