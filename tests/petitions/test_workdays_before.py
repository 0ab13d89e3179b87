"""Counting working days back from a day (a meeting's catalogue is due 4 working days before it,
Heyuan 四(二)) across runs of rest days longer than the first window, and never searching forever."""

from datetime import date, timedelta

import pytest

from petitions.models import CalendarOverride
from petitions.workdays import working_days_before

pytestmark = pytest.mark.django_db


def rest_days(first: date, last: date) -> None:
    CalendarOverride.objects.bulk_create(
        CalendarOverride(date=first + timedelta(days=i), is_working_day=False)
        for i in range((last - first).days + 1)
    )


def test_a_run_of_rest_days_longer_than_the_first_look_back_is_skipped():
    # 60 days of rest set by staff up to 29 Apr 2027: more than the first window (1 * 3 + 30 days).
    rest_days(date(2027, 3, 1), date(2027, 4, 29))
    assert working_days_before(date(2027, 4, 30), 1) == date(2027, 2, 26)  # a Friday


def test_a_calendar_with_no_working_day_for_ten_years_back_raises_instead_of_searching_forever():
    rest_days(date(2030, 1, 1), date(2040, 12, 31))
    with pytest.raises(ValueError, match="no 1 working days within 3660 days before 2041-01-01"):
        working_days_before(date(2041, 1, 1), 1)
