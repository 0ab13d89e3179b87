"""Working-day arithmetic over the Chinese calendar (docs/rules.md §5; 民法典 第二百零一条、第二百零三条).

The calendar is the State Council schedule as carried by the `holidays` package (statutory holidays
plus make-up working weekends), with staff overrides from the database winning over it. Years
without a `CalendarYear` row are estimates: the package guesses their holidays by rule and knows no
make-up days, so the answer is usable but flagged (`is_estimated`).

This is the calendar module: every piece of date arithmetic lives here, pure functions of their
arguments (weeks, months, quarters; working days over a `Calendar`). The database is read at one
edge only, `_overrides` and `confirmed_years`, which load staff overrides and confirmed years.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import lru_cache

import holidays

from petitions.models.calendar import CalendarOverride, CalendarYear

# A search bound: no real limit spans this many days of consecutive rest.
_MAX_SCAN_DAYS = 3660


@lru_cache(maxsize=64)
def _package_calendar(year: int) -> holidays.HolidayBase:
    # Immutable package data, so caching it per process is safe.
    return holidays.China(years=year, language="zh_CN")


def _package_is_working_day(d: date) -> bool:
    return _package_calendar(d.year).is_working_day(d)


# --- the database edge -------------------------------------------------------------------------


def _overrides(start: date, end: date) -> dict[date, bool]:
    return dict(
        CalendarOverride.objects.filter(date__range=(start, end)).values_list(
            "date", "is_working_day"
        )
    )


# --- weeks, months, quarters (pure) ----------------------------------------------------------------

THURSDAY = 3  # date.weekday()


def reporting_thursday(on: date) -> date:
    """The Thursday a report made on `on` counts for: that day or the next Thursday (Shantou 三(四))."""
    return on + timedelta(days=(THURSDAY - on.weekday()) % 7)


def thursday_on_or_before(on: date) -> date:
    """The latest Thursday on or before `on`."""
    return on - timedelta(days=(on.weekday() - THURSDAY) % 7)


def month_start(d: date) -> date:
    return d.replace(day=1)


def add_months(d: date, n: int) -> date:
    """The first day of the month `n` months after `d`'s month (n may be negative)."""
    index = d.year * 12 + d.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def quarter_end(d: date) -> date:
    return add_months(quarter_start(d), 3) - timedelta(days=1)


# --- working days ----------------------------------------------------------------------------------


class Calendar:
    """The working-day calendar for a span of dates.

    Without `overrides`, the staff overrides for the span are loaded with one query.
    """

    def __init__(
        self, start: date, end: date, overrides: Mapping[date, bool] | None = None
    ) -> None:
        self.start, self.end = start, end
        self.overrides = _overrides(start, end) if overrides is None else dict(overrides)

    def is_working_day(self, d: date) -> bool:
        if d in self.overrides:
            return self.overrides[d]
        return _package_is_working_day(d)

    def between(self, a: date, b: date) -> int:
        """`working_days_between` within this calendar's span, without another query."""
        if b == a:
            return 0
        if b < a:
            return -self.between(b, a)
        return sum(
            1 for i in range(1, (b - a).days + 1) if self.is_working_day(a + timedelta(days=i))
        )


def _calendar(start: date, days: int) -> Calendar:
    return Calendar(start, start + timedelta(days=days))


def is_working_day(d: date) -> bool:
    """A working day by the official schedule, unless staff overrode it."""
    return Calendar(d, d).is_working_day(d)


def add_working_days(d: date, n: int) -> date:
    """The n-th working day after `d`; `d` itself never counts (民法典 第二百零一条).

    n = 0 gives `d` itself. Raises ValueError for a negative n.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    if n == 0:
        return d
    # Working days are at least 2 in 7 even across Spring Festival; scan generously in one query.
    cal = _calendar(d, n * 3 + 30)
    current, counted = d, 0
    for _step in range(_MAX_SCAN_DAYS):
        current += timedelta(days=1)
        if current > cal.end:
            cal = _calendar(current, n * 3 + 30)
        if cal.is_working_day(current):
            counted += 1
            if counted == n:
                return current
    raise ValueError(f"no {n} working days within {_MAX_SCAN_DAYS} days of {d}")


def working_days_before(d: date, n: int) -> date:
    """The n-th working day before `d` (`d` itself never counts), e.g. a catalogue due 4 working days
    before a meeting (Heyuan 四(二)). n = 0 gives `d`."""
    if n < 0:
        raise ValueError("n must not be negative")
    if n == 0:
        return d
    cal = Calendar(d - timedelta(days=n * 3 + 30), d)
    current, counted = d, 0
    for _step in range(_MAX_SCAN_DAYS):
        current -= timedelta(days=1)
        if current < cal.start:
            cal = Calendar(current - timedelta(days=n * 3 + 30), current)
        if cal.is_working_day(current):
            counted += 1
            if counted == n:
                return current
    raise ValueError(f"no {n} working days within {_MAX_SCAN_DAYS} days before {d}")


def next_working_day_on_or_after(d: date) -> date:
    """`d` if it is a working day, else the next one (民法典 第二百零三条)."""
    cal = _calendar(d, 60)
    current = d
    for _step in range(_MAX_SCAN_DAYS):
        if current > cal.end:
            cal = _calendar(current, 60)
        if cal.is_working_day(current):
            return current
        current += timedelta(days=1)
    raise ValueError(f"no working day within {_MAX_SCAN_DAYS} days of {d}")


def add_days(d: date, n: int) -> date:
    """`n` calendar days after `d`; a period ending on a rest day ends on the next working day."""
    if n < 0:
        raise ValueError("n must not be negative")
    return next_working_day_on_or_after(d + timedelta(days=n))


def working_days_between(a: date, b: date) -> int:
    """Working days after `a` up to and including `b`; negative when `b` is before `a`.

    So `working_days_between(d, add_working_days(d, n)) == n`, and for a due date `due`,
    `working_days_between(today, due)` is the working days left (negative: overdue by).
    """
    if b == a:
        return 0
    if b < a:
        return -working_days_between(b, a)
    cal = Calendar(a + timedelta(days=1), b)
    return sum(1 for i in range(1, (b - a).days + 1) if cal.is_working_day(a + timedelta(days=i)))


def working_days(start: date, end: date) -> Iterable[date]:
    """Every working day from `start` to `end` inclusive."""
    cal = Calendar(start, end)
    for i in range((end - start).days + 1):
        d = start + timedelta(days=i)
        if cal.is_working_day(d):
            yield d


def confirmed_years() -> set[int]:
    return set(CalendarYear.objects.values_list("year", flat=True))


def is_estimated(*days: date) -> bool:
    """True when any of the days falls in a year whose official schedule is not confirmed."""
    years = {d.year for d in days}
    return not years <= confirmed_years()


def span_is_estimated(start: date, end: date) -> bool:
    """True when a period from `start` to `end` crosses a year not confirmed."""
    return is_estimated(*(date(y, 1, 1) for y in range(start.year, end.year + 1)))
