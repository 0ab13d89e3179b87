"""Which time limit applies, and when it falls due (docs/rules.md §5)."""

from datetime import date

import pytest

from petitions.limits import (
    Due,
    Limit,
    compute_due,
    confirm_rule,
    due,
    limit_for,
    max_extensions,
    reply_rule,
)
from petitions.models import (
    DEFAULT_LIMITS,
    LimitRule,
    LimitUnit,
    OrgUnit,
    PetitionType,
    TimeLimitPolicy,
    UnitKind,
)

pytestmark = pytest.mark.django_db

WORKING_DAYS, DAYS = LimitUnit.WORKING_DAYS, LimitUnit.DAYS


@pytest.fixture
def city():
    return OrgUnit.objects.create(name="示例市", kind=UnitKind.CITY)


@pytest.fixture
def district(city):
    return OrgUnit.objects.create(name="示例区", kind=UnitKind.DISTRICT, parent=city)


@pytest.fixture
def zone(city):
    return OrgUnit.objects.create(name="示例高新区", kind=UnitKind.ZONE, parent=city)


@pytest.fixture
def district_department(district):
    return OrgUnit.objects.create(name="区发展改革局", kind=UnitKind.DEPARTMENT, parent=district)


def set_limit(jurisdiction, rule, amount, unit=WORKING_DAYS):
    return TimeLimitPolicy.objects.create(
        jurisdiction=jurisdiction, rule=rule, amount=amount, unit=unit
    )


# --- The defaults shipped ---------------------------------------------------------------------------


def test_every_rule_has_a_seeded_default_row_matching_the_shipped_constant():
    rows = {
        row.rule: (row.amount, row.unit)
        for row in TimeLimitPolicy.objects.filter(jurisdiction__isnull=True)
    }

    assert rows == {rule: (amount, unit) for rule, (amount, unit, _src) in DEFAULT_LIMITS.items()}
    assert set(rows) == set(LimitRule.values)


@pytest.mark.parametrize(
    ("rule", "limit"),
    [
        (LimitRule.CONFIRM, Limit(1, WORKING_DAYS)),
        (LimitRule.CONFIRM_LOWER, Limit(2, WORKING_DAYS)),
        (LimitRule.CONTACT, Limit(1, WORKING_DAYS)),
        (LimitRule.REPLY_CONSULTATION, Limit(1, WORKING_DAYS)),
        (LimitRule.REPLY_SUGGESTION, Limit(2, WORKING_DAYS)),
        (LimitRule.REPLY_COMPLAINT, Limit(3, WORKING_DAYS)),
        (LimitRule.MEETING_ASSIGN, Limit(1, WORKING_DAYS)),
        (LimitRule.MEETING_REPLY_SINGLE, Limit(7, DAYS)),
        (LimitRule.MEETING_REPLY_MULTI, Limit(15, DAYS)),
        (LimitRule.CATALOGUE, Limit(4, WORKING_DAYS)),
    ],
)
def test_the_default_limits_are_those_of_the_spec(rule, limit):
    assert limit_for(rule, None) == limit


def test_at_most_two_extensions_are_allowed_by_default():
    assert max_extensions(None) == 2


# --- Lookup: jurisdiction → parent → default row → constant ---------------------------------------


def test_a_jurisdiction_without_its_own_policy_gets_the_default_row(city):
    assert limit_for(LimitRule.REPLY_COMPLAINT, city) == Limit(3, WORKING_DAYS)


def test_an_edited_default_row_wins_over_the_shipped_constant(city):
    TimeLimitPolicy.objects.filter(jurisdiction=None, rule=LimitRule.REPLY_COMPLAINT).update(
        amount=5
    )

    assert limit_for(LimitRule.REPLY_COMPLAINT, city) == Limit(5, WORKING_DAYS)
    assert limit_for(LimitRule.REPLY_COMPLAINT, None) == Limit(5, WORKING_DAYS)


def test_without_a_default_row_the_shipped_constant_applies(city):
    TimeLimitPolicy.objects.filter(jurisdiction=None, rule=LimitRule.REPLY_COMPLAINT).delete()

    assert limit_for(LimitRule.REPLY_COMPLAINT, city) == Limit(3, WORKING_DAYS)
    assert limit_for(LimitRule.REPLY_COMPLAINT, None) == Limit(3, WORKING_DAYS)


def test_a_jurisdictions_own_policy_wins_over_the_default(city):
    set_limit(city, LimitRule.REPLY_COMPLAINT, 5)

    assert limit_for(LimitRule.REPLY_COMPLAINT, city) == Limit(5, WORKING_DAYS)
    assert limit_for(LimitRule.REPLY_COMPLAINT, None) == Limit(3, WORKING_DAYS)


def test_a_district_without_its_own_policy_follows_its_city(city, district):
    set_limit(city, LimitRule.REPLY_COMPLAINT, 5)

    assert limit_for(LimitRule.REPLY_COMPLAINT, district) == Limit(5, WORKING_DAYS)


def test_a_districts_own_policy_wins_over_its_citys(city, district):
    set_limit(city, LimitRule.REPLY_COMPLAINT, 5)
    set_limit(district, LimitRule.REPLY_COMPLAINT, 4)

    assert limit_for(LimitRule.REPLY_COMPLAINT, district) == Limit(4, WORKING_DAYS)
    assert limit_for(LimitRule.REPLY_COMPLAINT, city) == Limit(5, WORKING_DAYS)


def test_a_districts_policy_does_not_apply_to_a_sibling_zone(city, district, zone):
    set_limit(district, LimitRule.REPLY_COMPLAINT, 4)

    assert limit_for(LimitRule.REPLY_COMPLAINT, zone) == Limit(3, WORKING_DAYS)


def test_a_department_follows_the_jurisdiction_it_belongs_to(city, district, district_department):
    set_limit(city, LimitRule.REPLY_COMPLAINT, 5)
    set_limit(district, LimitRule.REPLY_COMPLAINT, 4)

    assert limit_for(LimitRule.REPLY_COMPLAINT, district_department) == Limit(4, WORKING_DAYS)


def test_a_policy_keeps_its_own_unit(city):
    set_limit(city, LimitRule.REPLY_COMPLAINT, 7, unit=DAYS)

    assert limit_for(LimitRule.REPLY_COMPLAINT, city) == Limit(7, DAYS)


def test_a_jurisdiction_may_allow_more_extensions(city, district):
    set_limit(city, LimitRule.MAX_EXTENSIONS, 3, unit=DAYS)

    assert max_extensions(district) == 3


# --- Which rule applies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("petition_type", "rule"),
    [
        (PetitionType.CONSULTATION, LimitRule.REPLY_CONSULTATION),
        (PetitionType.SUGGESTION, LimitRule.REPLY_SUGGESTION),
        (PetitionType.COMPLAINT, LimitRule.REPLY_COMPLAINT),
        (PetitionType.COORDINATION, LimitRule.REPLY_COORDINATION),
    ],
)
def test_each_petition_type_has_its_own_reply_rule(petition_type, rule):
    assert reply_rule(petition_type) == rule


def test_districts_and_zones_get_the_longer_limit_to_confirm(district, zone):
    assert confirm_rule(district) == LimitRule.CONFIRM_LOWER
    assert confirm_rule(zone) == LimitRule.CONFIRM_LOWER


def test_the_city_and_its_departments_get_the_ordinary_limit_to_confirm(city):
    department = OrgUnit.objects.create(name="市商务局", kind=UnitKind.DEPARTMENT, parent=city)

    assert confirm_rule(city) == LimitRule.CONFIRM
    assert confirm_rule(department) == LimitRule.CONFIRM


# --- When a limit falls due -------------------------------------------------------------------------


def test_a_limit_in_working_days_counts_working_days():
    assert compute_due(date(2026, 9, 30), 1, WORKING_DAYS) == date(2026, 10, 8)


def test_a_limit_in_days_counts_calendar_days_and_rolls_off_a_holiday():
    assert compute_due(date(2026, 9, 24), 7, DAYS) == date(2026, 10, 8)
    assert compute_due(date(2026, 3, 2), 7, DAYS) == date(2026, 3, 9)


def test_a_complaint_reply_is_due_three_working_days_after_national_day_eve(city):
    # 30 Sep, then 8 and 9 Oct.
    assert due(LimitRule.REPLY_COMPLAINT, city, date(2026, 9, 29)) == Due(
        date(2026, 10, 9), 3, WORKING_DAYS, estimated=False
    )


def test_a_district_confirms_within_two_working_days(district):
    assert due(confirm_rule(district), district, date(2026, 10, 9)).due_on == date(2026, 10, 12)


def test_a_meeting_item_for_one_department_is_due_seven_days_later_off_a_holiday(city):
    assert due(LimitRule.MEETING_REPLY_SINGLE, city, date(2026, 9, 24)) == Due(
        date(2026, 10, 8), 7, DAYS, estimated=False
    )


def test_an_extension_adds_to_the_limit_but_the_limit_itself_is_reported(city):
    result = due(LimitRule.REPLY_COMPLAINT, city, date(2026, 9, 29), extra=2)

    # 9 Oct, then Sat 10 Oct (a make-up working day) and Mon 12 Oct.
    assert result.due_on == date(2026, 10, 12)
    assert result.amount == 3


def test_a_due_date_in_an_unconfirmed_year_is_flagged_as_estimated(city):
    result = due(LimitRule.CONFIRM, city, date(2026, 12, 31))

    assert result.due_on == date(2027, 1, 4)
    assert result.estimated
