"""The beat schedule only names tasks that exist (docs/conventions.md C7).

A typo in a task name is not an error anywhere else: beat would send the message and the worker
would drop it, so the reminder would silently never run.
"""

from django.conf import settings

from zqztc import celery_app


def test_beat_schedule_is_a_dict_in_settings():
    assert isinstance(settings.CELERY_BEAT_SCHEDULE, dict)


def test_every_beat_entry_names_a_registered_task():
    celery_app.loader.import_default_modules()
    registered = set(celery_app.tasks)

    unknown = {
        name: entry["task"]
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"] not in registered
    }

    assert unknown == {}
