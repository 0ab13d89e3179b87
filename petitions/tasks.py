"""Thin Celery tasks: each takes ids and calls one function (docs/conventions.md C7)."""

from celery import shared_task

from petitions import notify


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def send_event_notice(event_id: int) -> int:
    return notify.send_event_notice(event_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def send_approval_notice(event_id: int) -> int:
    return notify.send_approval_notice(event_id)


@shared_task
def flush_pending_notices() -> int:
    """Re-queue notices that could not be queued (broker outage) or whose task died."""
    return notify.flush_pending(send_event_notice)


@shared_task
def purge_import_uploads() -> int:
    """Delete import workbooks previewed and then abandoned (petitions/imports.py)."""
    # Imported here: petitions.imports → workflow → this module would be a cycle.
    from petitions import imports

    return imports.purge_stale_uploads()
