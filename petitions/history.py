"""Who changed the rules, accounts and firms, and when: django-simple-history's HistoricalRecords.

The request's user is taken from `simple_history.middleware.HistoryRequestMiddleware`; changes made
outside a request (management commands, jobs) have no `history_user`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from simple_history.models import HistoricalRecords as BaseHistoricalRecords


class HistoricalRecords(BaseHistoricalRecords):
    """Also skips saves that write only excluded fields.

    Every sign-in saves `last_login`, and a password-hasher upgrade saves `password`: with those
    fields excluded, such saves would still add one identical row each and bury the real changes.
    """

    def post_save(
        self, instance: Model, created: bool, using: str | None = None, **kwargs: Any
    ) -> None:
        update_fields = kwargs.get("update_fields")
        if not created and update_fields and set(update_fields) <= set(self.excluded_fields):
            return
        super().post_save(instance, created, using=using, **kwargs)
