"""Thin Celery tasks: each takes ids and calls one function (docs/conventions.md C7)."""

from celery import shared_task


@shared_task
def purge_import_uploads() -> int:
    """Delete import workbooks previewed and then abandoned (petitions/imports.py)."""
    # Imported here: petitions.imports → workflow → this module would be a cycle.
    from petitions import imports

    return imports.purge_stale_uploads()
