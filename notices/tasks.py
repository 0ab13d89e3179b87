"""Thin Celery tasks over notices/sender.py (docs/conventions.md C7)."""

from celery import shared_task

from notices import sender


@shared_task
def deliver(ids: list[int]) -> dict:
    """Queued after the commit of what caused the notices; the beat's sweep below catches the rest."""
    return dict(sender.deliver(ids=list(ids)))


@shared_task
def deliver_due() -> dict:
    """Every minute: whatever is due, whether its own task was lost with the broker or it waits for a retry."""
    return dict(sender.deliver_due())
