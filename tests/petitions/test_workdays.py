"""Working days over the Chinese calendar (docs/rules.md §5; 民法典 第二百零一条、第二百零三条).

The 2026 facts below are the State Council's 2026 holiday schedule as carried by the `holidays`
package, checked day by day against it.
"""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from petitions.models import CalendarOverride, CalendarYear
from petitions.workdays import (
    Calendar,
    add_days,
    add_months,
    add_working_days,
    is_estimated,
    is_working_day,
    month_start,
    next_working_day_on_or_after,
    quarter_end,
    quarter_start,
    reporting_thursday,
    span_is_estimated,
    thursday_on_or_before,
    working_days,
    working_days_between,
)

pytestmark = pytest.mark.django_db


def days(first: date, last: date) -> list[date]:
    """Every calendar day from `first` to `last` inclusive."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# --- The 2026 schedule -------------------------------------------------------------------------

HOLIDAYS_2026 = {
    "New Year": (date(2026, 1, 1), date(2026, 1, 3)),
    "Spring Festival": (date(2026, 2, 15), date(2026, 2, 23)),
    "Qingming": (date(2026, 4, 4), date(2026, 4, 6)),
    "Labour Day": (date(2026, 5, 1), date(2026, 5, 5)),
    "Dragon Boat": (date(2026, 6, 19), date(2026, 6, 21)),
    "Mid-Autumn": (date(2026, 9, 25), date(2026, 9, 27)),
    "National Day": (date(2026, 10, 1), date(2026, 10, 7)),
}


@pytest.mark.parametrize(("first", "last"), HOLIDAYS_2026.values(), ids=HOLIDAYS_2026.keys())
def test_every_day_of_a_2026_holiday_is_a_rest_day(first, last):
    assert [d for d in days(first, last) if is_working_day(d)] == []


@pytest.mark.parametrize(("first", "last"), HOLIDAYS_2026.values(), ids=HOLIDAYS_2026.keys())
def test_the_days_either_side_of_a_2026_holiday_are_working_days(first, last):
    assert is_working_day(first - timedelta(days=1))
    assert is_working_day(last + timedelta(days=1))


@pytest.mark.parametrize(
    "make_up_day",
    [
        date(2026, 1, 4),  # Sunday, for New Year
        date(2026, 2, 14),  # Saturday, for Spring Festival
        date(2026, 2, 28),  # Saturday, for Spring Festival
        date(2026, 5, 9),  # Saturday, for Labour Day
        date(2026, 9, 20),  # Sunday, for National Day
        date(2026, 10, 10),  # Saturday, for National Day
    ],
)
def test_a_2026_make_up_weekend_day_is_a_working_day(make_up_day):
    assert make_up_day.weekday() >= 5
    assert is_working_day(make_up_day)


@pytest.mark.parametrize(
    "weekend_day",
    [
        date(2026, 3, 7),
        date(2026, 3, 8),
        date(2026, 10, 11),
        date(2026, 10, 17),
        date(2026, 12, 27),
    ],
)
def test_an_ordinary_2026_weekend_day_is_a_rest_day(weekend_day):
    assert weekend_day.weekday() >= 5
    assert not is_working_day(weekend_day)


@pytest.mark.parametrize(
    "weekday", [date(2026, 3, 9), date(2026, 2, 24), date(2026, 10, 8), date(2026, 12, 31)]
)
def test_an_ordinary_2026_weekday_is_a_working_day(weekday):
    assert is_working_day(weekday)


def test_the_working_days_around_spring_festival_2026_include_both_make_up_saturdays():
    assert list(working_days(date(2026, 2, 13), date(2026, 2, 28))) == [
        date(2026, 2, 13),
        date(2026, 2, 14),
        date(2026, 2, 24),
        date(2026, 2, 25),
        date(2026, 2, 26),
        date(2026, 2, 27),
        date(2026, 2, 28),
    ]


def test_the_working_days_around_national_day_2026_include_the_make_up_saturday():
    assert list(working_days(date(2026, 9, 28), date(2026, 10, 11))) == [
        date(2026, 9, 28),
        date(2026, 9, 29),
        date(2026, 9, 30),
        date(2026, 10, 8),
        date(2026, 10, 9),
        date(2026, 10, 10),
    ]


def test_a_calendar_answers_for_any_day_of_its_span():
    calendar = Calendar(date(2026, 9, 30), date(2026, 10, 10))

    assert calendar.is_working_day(date(2026, 9, 30))
    assert not calendar.is_working_day(date(2026, 10, 1))
    assert calendar.is_working_day(date(2026, 10, 10))


# --- add_working_days: "N working days after D" is the N-th working day after D ----------------


def test_one_working_day_after_the_eve_of_national_day_is_8_october():
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)


def test_the_start_day_never_counts_so_a_friday_plus_one_is_the_next_monday():
    assert add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)


def test_a_period_starting_on_a_rest_day_counts_from_the_next_working_day():
    assert add_working_days(date(2026, 3, 7), 1) == date(2026, 3, 9)
    assert add_working_days(date(2026, 10, 1), 1) == date(2026, 10, 8)


def test_a_make_up_saturday_counts_as_a_working_day():
    assert add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)


def test_zero_working_days_after_a_day_is_the_day_itself():
    assert add_working_days(date(2026, 3, 9), 0) == date(2026, 3, 9)
    assert add_working_days(date(2026, 10, 1), 0) == date(2026, 10, 1)


def test_a_negative_number_of_working_days_is_refused():
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2026, 3, 9), -1)


def test_a_period_across_spring_festival_skips_the_whole_holiday():
    # Thu 12 Feb → Fri 13, Sat 14 (make-up), then nothing until Tue 24 Feb.
    assert add_working_days(date(2026, 2, 12), 2) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 12), 3) == date(2026, 2, 24)


def test_a_period_across_the_new_year_runs_into_2027():
    # 1 Jan 2027 is New Year's Day (a Friday), then a weekend.
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert add_working_days(date(2026, 12, 30), 2) == date(2027, 1, 4)


def test_a_long_period_counts_every_working_day_of_2026():
    # 261 weekdays, less 19 weekday holidays, plus 6 make-up weekend days.
    assert len(list(working_days(date(2026, 1, 1), date(2026, 12, 31)))) == 248
    assert add_working_days(date(2025, 12, 31), 248) == date(2026, 12, 31)


# --- add_days: calendar days, ending on the next working day (第二百零三条) ------------------------


def test_a_period_in_days_ending_on_a_working_day_ends_that_day():
    assert add_days(date(2026, 3, 2), 7) == date(2026, 3, 9)


def test_a_period_ending_in_national_day_ends_on_the_next_working_day():
    # 24 Sep + 7 days = 1 Oct, a holiday; the next working day is 8 Oct.
    assert add_days(date(2026, 9, 24), 7) == date(2026, 10, 8)


def test_a_fifteen_day_period_ending_in_national_day_ends_on_the_next_working_day():
    assert add_days(date(2026, 9, 16), 15) == date(2026, 10, 8)


def test_a_period_ending_on_an_ordinary_saturday_ends_on_the_next_monday():
    assert add_days(date(2026, 3, 2), 5) == date(2026, 3, 9)


def test_a_period_ending_on_a_make_up_saturday_ends_that_saturday():
    assert add_days(date(2026, 10, 3), 7) == date(2026, 10, 10)


def test_a_negative_number_of_days_is_refused():
    with pytest.raises(ValueError, match="negative"):
        add_days(date(2026, 3, 9), -1)


def test_a_working_day_is_its_own_next_working_day():
    assert next_working_day_on_or_after(date(2026, 2, 14)) == date(2026, 2, 14)


def test_the_next_working_day_after_the_first_day_of_spring_festival_is_24_february():
    assert next_working_day_on_or_after(date(2026, 2, 15)) == date(2026, 2, 24)


# --- working_days_between: working days after a, up to and including b ---------------------------


def test_there_are_no_working_days_between_a_day_and_itself():
    assert working_days_between(date(2026, 10, 1), date(2026, 10, 1)) == 0


def test_the_working_days_between_30_september_and_8_october_are_one():
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 8)) == 1


def test_the_working_days_between_are_negative_when_the_end_is_before_the_start():
    assert working_days_between(date(2026, 10, 8), date(2026, 9, 30)) == -1
    assert working_days_between(date(2026, 3, 13), date(2026, 3, 6)) == -5


def test_the_working_days_between_a_day_and_the_following_holiday_are_zero():
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 7)) == 0


@pytest.mark.slow
@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    n=st.integers(min_value=0, max_value=40),
)
def test_working_days_between_undoes_add_working_days(start, n):
    end = add_working_days(start, n)

    assert working_days_between(start, end) == n
    assert working_days_between(end, start) == -n
    if n > 0:
        assert end > start
        assert is_working_day(end)


# --- Staff overrides always win -------------------------------------------------------------------


def test_an_override_making_a_2027_saturday_a_working_day_counts_it():
    saturday = date(2027, 2, 20)
    assert not is_working_day(saturday)

    CalendarOverride.objects.create(date=saturday, is_working_day=True, note="调休上班")

    assert is_working_day(saturday)
    assert add_working_days(date(2027, 2, 19), 1) == saturday
    assert working_days_between(date(2027, 2, 19), date(2027, 2, 22)) == 2


def test_an_override_making_a_2026_weekday_a_rest_day_skips_it():
    monday = date(2026, 3, 9)
    CalendarOverride.objects.create(date=monday, is_working_day=False, note="台风停工")

    assert not is_working_day(monday)
    assert add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 10)
    assert add_days(date(2026, 3, 2), 7) == date(2026, 3, 10)
    assert working_days_between(date(2026, 3, 6), date(2026, 3, 10)) == 1
    assert monday not in list(working_days(date(2026, 3, 9), date(2026, 3, 13)))


def test_an_override_wins_over_an_official_holiday():
    CalendarOverride.objects.create(date=date(2026, 10, 7), is_working_day=True)

    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 7)


def test_a_run_of_rest_days_longer_than_the_first_look_ahead_is_skipped():
    # 60 days of rest set by staff from 1 Mar 2027: more than the first window of any search.
    CalendarOverride.objects.bulk_create(
        CalendarOverride(date=d, is_working_day=False)
        for d in days(date(2027, 3, 1), date(2027, 4, 29))
    )

    assert add_working_days(date(2027, 2, 28), 1) == date(2027, 4, 30)
    assert next_working_day_on_or_after(date(2027, 3, 1)) == date(2027, 4, 30)


def test_a_calendar_with_no_working_day_for_ten_years_raises_instead_of_searching_forever():
    CalendarOverride.objects.bulk_create(
        CalendarOverride(date=d, is_working_day=False)
        for d in days(date(2030, 1, 1), date(2040, 12, 31))
    )

    with pytest.raises(ValueError, match="no 1 working days"):
        add_working_days(date(2029, 12, 31), 1)
    with pytest.raises(ValueError, match="no working day"):
        next_working_day_on_or_after(date(2030, 1, 1))


def test_counting_working_days_across_a_year_takes_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):  # the overrides in the span
        assert working_days_between(date(2025, 12, 31), date(2026, 12, 31)) == 248
    with django_assert_num_queries(1):  # the overrides in the search window
        assert add_working_days(date(2026, 9, 30), 20) == date(2026, 11, 3)


# --- Years without an official schedule are estimates -----------------------------------------------


@pytest.mark.parametrize("year", [2027, 2030])
def test_a_year_without_an_official_schedule_still_gets_answers(year):
    new_year = date(year, 1, 1)

    assert not is_working_day(new_year)  # the statutory holiday is still known
    due = add_working_days(date(year, 9, 30), 1)
    assert due > date(year, 9, 30)
    assert is_working_day(due)
    assert working_days_between(date(year, 9, 30), due) == 1


def test_an_estimated_year_has_no_make_up_days():
    saturdays_2027 = [d for d in days(date(2027, 1, 1), date(2027, 12, 31)) if d.weekday() == 5]

    assert not any(is_working_day(d) for d in saturdays_2027)


@pytest.mark.parametrize(
    ("day", "estimated"),
    [
        (date(2020, 1, 1), False),
        (date(2026, 6, 1), False),
        (date(2026, 12, 31), False),
        (date(2019, 12, 31), True),
        (date(2027, 1, 1), True),
        (date(2030, 10, 1), True),
    ],
)
def test_a_day_is_estimated_unless_its_year_is_confirmed(day, estimated):
    assert is_estimated(day) is estimated


def test_several_days_are_estimated_when_any_of_them_is():
    assert is_estimated(date(2026, 12, 31), date(2027, 1, 4))
    assert not is_estimated(date(2025, 12, 31), date(2026, 1, 4))


def test_a_span_into_an_unconfirmed_year_is_estimated():
    assert span_is_estimated(date(2026, 12, 20), date(2027, 1, 10))
    assert not span_is_estimated(date(2026, 1, 1), date(2026, 12, 31))


def test_confirming_a_year_ends_the_estimate():
    CalendarYear.objects.create(year=2027, source="国务院办公厅2027年节假日安排")

    assert not is_estimated(date(2027, 1, 1))
    assert not span_is_estimated(date(2026, 12, 20), date(2027, 1, 10))
    assert span_is_estimated(date(2027, 12, 20), date(2028, 1, 10))


def test_a_span_skipping_an_unconfirmed_year_in_the_middle_is_estimated():
    CalendarYear.objects.create(year=2028)

    assert span_is_estimated(date(2026, 12, 20), date(2028, 1, 10))


# --- weeks, months, quarters: pure arithmetic ------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "thursday"),
    [
        (date(2026, 3, 23), date(2026, 3, 26)),  # Monday → that week's Thursday
        (date(2026, 3, 26), date(2026, 3, 26)),  # Thursday itself
        (date(2026, 3, 27), date(2026, 4, 2)),  # Friday → the next one
    ],
)
def test_a_report_counts_for_that_day_or_the_next_thursday(on, thursday):
    assert reporting_thursday(on) == thursday


@pytest.mark.parametrize(
    ("on", "thursday"),
    [
        (date(2026, 3, 25), date(2026, 3, 19)),  # Wednesday → the week before
        (date(2026, 3, 26), date(2026, 3, 26)),
        (date(2026, 3, 29), date(2026, 3, 26)),  # Sunday → three days back
    ],
)
def test_the_latest_thursday_on_or_before_a_day(on, thursday):
    assert thursday_on_or_before(on) == thursday


def test_months_and_quarters_roll_over_the_year_both_ways():
    assert month_start(date(2026, 2, 28)) == date(2026, 2, 1)
    assert add_months(date(2026, 11, 30), 2) == date(2027, 1, 1)
    assert add_months(date(2026, 1, 31), -1) == date(2025, 12, 1)
    assert quarter_start(date(2026, 12, 31)) == date(2026, 10, 1)
    assert quarter_end(date(2026, 10, 1)) == date(2026, 12, 31)
    assert quarter_end(date(2026, 2, 14)) == date(2026, 3, 31)


@pytest.mark.parametrize("month", range(1, 13))
def test_every_month_lies_inside_its_quarter(month):
    d = date(2026, month, 15)
    assert quarter_start(d) <= d <= quarter_end(d)
    assert (quarter_end(d) - quarter_start(d)).days in (89, 90, 91)


def test_a_calendar_given_its_overrides_reads_no_database(django_assert_num_queries):
    saturday_worked = date(2026, 3, 28)
    with django_assert_num_queries(0):
        cal = Calendar(date(2026, 3, 23), date(2026, 3, 29), overrides={saturday_worked: True})
    assert cal.is_working_day(saturday_worked)
    assert not cal.is_working_day(date(2026, 3, 29))
    assert cal.between(date(2026, 3, 23), date(2026, 3, 29)) == 5
