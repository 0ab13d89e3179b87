"""Thin Celery tasks for the beat schedule (docs/conventions.md C7); each has a management command that runs it by hand.

A retry after a database or network error resumes where the run stopped: the reminders claim each
person's digest on its own (docs/jobs.md, "Digests and reminders").
"""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from supervision import jobs

RETRY = {"autoretry_for": (OperationalError, OSError), "retry_backoff": True, "max_retries": 5}


@shared_task(**RETRY)
def daily_reminders() -> dict:
    return jobs.daily(timezone.localdate())


@shared_task(**RETRY)
def thursday_progress() -> dict:
    return jobs.thursday(timezone.localdate())


@shared_task(**RETRY)
def monthly_sweep() -> dict:
    return jobs.monthly_sweep(timezone.localdate())
