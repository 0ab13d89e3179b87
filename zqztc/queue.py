"""Queue a Celery task after commit without ever failing the request (docs/architecture.md §7: a broker outage loses nothing).

The database row that caused the task is the durable record; if the broker cannot take the message,
we log it and a periodic job re-queues what is still pending (e.g. petitions.notify.flush_pending).
"""

from __future__ import annotations

import logging

from celery import Task
from django.db import transaction

log = logging.getLogger(__name__)


def send(task: Task, *args: object) -> bool:
    """Queue now; True if the broker took it (or it ran eagerly), False if it must wait for a re-queue."""
    try:
        task.apply_async(args=args, retry=False)
    except Exception:  # broker down, eager task failure: never break the caller
        log.warning("could not queue %s%r; it stays pending", task.name, args, exc_info=True)
        return False
    return True


def on_commit(task: Task, *args: object) -> None:
    transaction.on_commit(lambda: send(task, *args))
