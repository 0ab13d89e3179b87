"""Sane bounds for every date and time typed into a form or a search filter.

Python and PostgreSQL accept years 1 to 9999, but the application does arithmetic on dates (the
day after a search's last day, working days before a meeting) and stores times in UTC: a search
until 9999-12-31 overflowed when one day was added, and a receipt time of 0001-01-01 08:00 in
Asia/Shanghai was stored as a UTC moment in 1 BC that Python cannot read back, which broke every
list showing the row. Nothing the system handles predates 2000 or lies past 2099, so every form
field and filter for a date uses the fields below, and a moment that has already happened (a
receipt, a contact) is also not in the future.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)
# The browser's clock may run a little ahead of the server's.
FUTURE_TOLERANCE = timedelta(minutes=5)


def earliest_moment() -> datetime:
    """Midnight of EARLIEST in the current time zone."""
    return timezone.make_aware(datetime.combine(EARLIEST, time.min))


def is_sane_date(value: date) -> bool:
    return EARLIEST <= value <= LATEST


def validate_sane_date(value: date) -> None:
    if not is_sane_date(value):
        raise ValidationError(
            _("Enter a date between %(earliest)s and %(latest)s."),
            code="out_of_range",
            params={"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
        )


class SaneDateField(forms.DateField):
    """A date between EARLIEST and LATEST: a search bound, a meeting date, a month."""

    default_validators = [validate_sane_date]


class PastDateTimeField(forms.DateTimeField):
    """A moment that has happened: not before EARLIEST, not in the future (a few minutes' grace).

    The value is returned in the current time zone, whatever offset was typed: Django also parses
    ISO 8601 with an offset, e.g. 2026-03-01T08:00+14:00.
    """

    default_error_messages = {
        "too_early": _("Enter a time on or after %(earliest)s."),
        "future": _("The time cannot be in the future."),
    }

    def to_python(self, value: object) -> datetime | None:
        result = super().to_python(value)
        if result is None:
            return None
        # Bounds first: converting a moment in year 1 or 9999 to another zone can overflow.
        if result < earliest_moment():
            raise ValidationError(
                self.error_messages["too_early"],
                code="too_early",
                params={"earliest": EARLIEST.isoformat()},
            )
        if result > timezone.now() + FUTURE_TOLERANCE:
            raise ValidationError(self.error_messages["future"], code="future")
        return timezone.localtime(result)


class SaneDateFilter(django_filters.DateFilter):
    """django-filter's DateFilter on a SaneDateField: an out-of-range bound is refused on the form."""

    field_class = SaneDateField
