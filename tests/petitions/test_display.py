"""Shared display helpers: working days left, computed with one calendar query."""

from datetime import date
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import translation

from petitions.deadlines import annotate_days_left

pytestmark = pytest.mark.django_db


def test_days_left_for_many_rows_costs_one_query(django_assert_num_queries):
    rows = [SimpleNamespace(due_on=date(2026, 10, d)) for d in (8, 9, 10, 12, 13)] + [
        SimpleNamespace(due_on=None)
    ]
    with django_assert_num_queries(1):  # the calendar overrides for the whole span
        annotate_days_left(rows, today=date(2026, 10, 9))
    assert [r.days_left for r in rows[:5]] == [-1, 0, 1, 2, 3]
    assert not hasattr(rows[5], "days_left")


@pytest.mark.parametrize(
    ("days_left", "text", "css"),
    [
        (-2, "已逾期 2 个工作日", "zq-due-overdue"),
        (0, "今天到期", "zq-due-soon"),
        (5, "还剩 5 个工作日", ""),
    ],
)
def test_the_due_badge_says_how_much_time_is_left(days_left, text, css):
    with translation.override("zh-hans"):
        html = Template("{% load zq %}{% due_badge due days %}").render(
            Context({"due": date(2026, 10, 13), "days": days_left})
        )
    assert "2026-10-13" in html
    assert text in html
    assert css in html


def test_working_days_before_counts_back_over_holidays():
    from petitions.workdays import add_working_days, working_days_before

    # Four working days before Thu 8 Oct 2026 reach back over National Day and Mid-Autumn
    # (25-27 Sep): 30, 29, 28 and 24 Sep.
    assert working_days_before(date(2026, 10, 8), 4) == date(2026, 9, 24)
    assert working_days_before(date(2026, 10, 8), 0) == date(2026, 10, 8)
    for n in (1, 4, 10, 120):
        start = working_days_before(date(2026, 11, 25), n)
        assert add_working_days(start, n) == date(2026, 11, 25)
    with pytest.raises(ValueError, match="negative"):
        working_days_before(date(2026, 10, 8), -1)
