"""Password reset by SMS code (issue 12): page 1 takes a mobile number and answers the same whether
or not an account uses it; page 2 takes the code and the new password. Codes are hashed, expire,
work once, lock after five wrong tries, and are limited per number and per client address.
"""

import logging
import re
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import translation

from notices.models import Channel, Delivery, OneTimeCode
from notices.sms import locmem
from petitions.forms.portal import mobile_message
from petitions.models import Role, User
from petitions.views import password_sms
from tests.factories import member

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SH)
PHONE = "+8613923456789"
UNKNOWN = "+8613700001111"
NEW_PASSWORD = "Kx8-dianli-2027"
REQUEST = reverse("password_reset_sms")
CODE_PAGE = reverse("password_reset_sms_code")


def zh(text) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    locmem.outbox.clear()
    yield
    cache.clear()
    locmem.outbox.clear()


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def firm_user(world):
    world.firm_user.mobile = PHONE
    world.firm_user.save()
    return world.firm_user


def ask(client, mobile="139 2345 6789"):
    # Runs what the view leaves for after commit: the SMS worker (eager in tests).
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(REQUEST, {"mobile": mobile})


def last_code() -> str:
    assert locmem.outbox, "no SMS was sent"
    return re.search(r"\d{6}", locmem.outbox[-1].text).group()


def reset(client, code, password=NEW_PASSWORD, again=None, **extra):
    data = {"code": code, "new_password1": password, "new_password2": again or password}
    return client.post(CODE_PAGE, {**data, **extra})


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- links -----------------------------------------------------------------------------------------


def test_the_login_and_the_email_reset_pages_link_to_the_sms_reset(client):
    for page in ("login", "password_reset"):
        assert f'href="{REQUEST}"' in client.get(reverse(page)).content.decode()


def test_the_code_page_without_a_number_sends_the_visitor_to_the_first_page(client):
    response = client.get(CODE_PAGE, follow=True)
    assert response.redirect_chain == [(REQUEST, 302)]
    assert zh("First enter your mobile number to receive a code.") in messages_of(response)


# --- the happy path ------------------------------------------------------------------------------


def test_a_firm_user_resets_the_password_with_the_code_from_the_sms(
    client, firm_user, clock, caplog
):
    caplog.set_level(logging.DEBUG)
    assert client.get(REQUEST).status_code == 200
    response = ask(client, "139-2345-6789")
    assert response.status_code == 302
    assert response["Location"] == CODE_PAGE

    # One SMS to the account's number, through the notices outbox.
    assert len(locmem.outbox) == 1
    assert locmem.outbox[0].phone.replace(" ", "") in {"13923456789", PHONE}
    code = last_code()
    delivery = Delivery.objects.get(kind="account.code")
    assert (delivery.channel, delivery.user) == (Channel.SMS, firm_user)
    row = OneTimeCode.objects.get()
    assert (row.purpose, row.user, row.phone) == ("password_reset", firm_user, PHONE)
    assert row.expires_at == NOW + timedelta(minutes=10)
    assert code not in row.code_hash  # hashed, never in clear

    page = client.get(CODE_PAGE)
    assert "139****6789" in page.content.decode()
    response = reset(client, code)
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    login_page = client.get(response["Location"])
    assert zh("Your password was changed. Log in with the new password.") in messages_of(login_page)
    firm_user.refresh_from_db()
    assert firm_user.check_password(NEW_PASSWORD)
    row.refresh_from_db()
    assert row.used_at == NOW
    assert "_auth_user_id" not in client.session  # like the e-mail reset: log in afterwards
    assert client.login(username="firm", password=NEW_PASSWORD)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert code not in logged
    assert NEW_PASSWORD not in logged


def test_staff_with_a_mobile_number_may_reset_too(client, world, clock):
    world.staff.mobile = PHONE
    world.staff.save()
    ask(client)
    assert reset(client, last_code()).status_code == 302
    world.staff.refresh_from_db()
    assert world.staff.check_password(NEW_PASSWORD)


def test_the_codes_sms_says_how_long_it_is_valid(client, firm_user, clock):
    ask(client)
    assert "10" in locmem.outbox[0].text


# --- no enumeration ------------------------------------------------------------------------------


def test_an_unknown_number_gets_the_same_answer_and_no_sms(client, firm_user, clock):
    known = ask(client, "139 2345 6789")
    known_page = client.get(known["Location"])
    other = Client()
    unknown = ask(other, "137 0000 1111")
    unknown_page = other.get(unknown["Location"])

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    said = messages_of(known_page)[0]
    assert messages_of(unknown_page) == [said.replace("139****6789", "137****1111")]
    assert len(locmem.outbox) == 1  # only the known number's
    assert not Delivery.objects.filter(address__contains="13700001111").exists()
    # A decoy row is kept, so the number's limits and lock-out behave alike.
    decoy = OneTimeCode.objects.get(phone=UNKNOWN)
    assert decoy.user is None


@pytest.mark.parametrize("case", ["inactive", "no_password", "only_the_firms_phone"])
def test_accounts_that_cannot_reset_are_treated_as_unknown(client, world, clock, case):
    user = world.firm_user
    if case == "inactive":
        user.mobile, user.is_active = PHONE, False
    elif case == "no_password":
        user.mobile = PHONE
        user.set_unusable_password()
    else:  # the number is only the firm's contact phone, not the account's mobile
        world.firm.contact_phone = PHONE
        world.firm.save()
    user.save()
    response = ask(client)
    assert response.status_code == 302
    assert locmem.outbox == []
    assert OneTimeCode.objects.get().user is None


def test_wrong_codes_for_an_unknown_number_lock_like_a_known_one(client, clock):
    ask(client, "137 0000 1111")
    answers = [reset(client, "000000") for _ in range(5)]
    assert [r.status_code for r in answers] == [400] * 5
    errors = [r.context["form"].errors["code"][0] for r in answers]
    with translation.override("zh-hans"):
        wrong = translation.ngettext(
            "The code is wrong. You can try %(n)d more time, then ask for a new code.",
            "The code is wrong. You can try %(n)d more times, then ask for a new code.",
            4,
        ) % {"n": 4}
    assert errors[0] == wrong
    assert errors[-1] == zh(password_sms.locked_message())


# --- limits --------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["139 2345 6789", "137 0000 1111"])
def test_one_code_a_minute_per_number_known_or_not(client, firm_user, clock, number):
    assert ask(client, number).status_code == 302
    clock.shift(timedelta(seconds=30))
    response = ask(Client(), number)
    assert response.status_code == 429
    body = response.content.decode()
    assert "30" in response.context["form"].non_field_errors()[0]
    assert f'value="{number}"' in body  # what was typed is kept
    assert f'href="{CODE_PAGE}"' in body
    assert OneTimeCode.objects.count() == 1
    clock.shift(timedelta(seconds=31))
    assert ask(client, number).status_code == 302
    assert OneTimeCode.objects.count() == 2


@pytest.mark.parametrize("number", ["139 2345 6789", "137 0000 1111"])
def test_five_codes_an_hour_per_number_counted_in_the_database(client, firm_user, clock, number):
    for _ in range(5):
        assert ask(client, number).status_code == 302
        cache.clear()  # Redis down or flushed: the per-number count does not depend on it
        clock.shift(timedelta(minutes=2))
    response = ask(client, number)
    assert response.status_code == 429
    assert (
        zh(
            "Five codes were asked for this number in the last hour, the most allowed. "
            "Please try again later."
        )
        in response.content.decode()
    )
    assert OneTimeCode.objects.count() == 5
    clock.shift(timedelta(minutes=51))  # the first code is now more than an hour old
    assert ask(client, number).status_code == 302


def test_code_requests_are_limited_per_address(client, firm_user, clock, settings):
    settings.PORTAL_RESET_CODE_PER_IP = 3
    for i in range(3):
        ask(client, f"137 0000 111{i}")
    response = ask(client)
    assert response.status_code == 429
    assert zh(password_sms.too_many_from_address()) in response.content.decode()
    assert locmem.outbox == []
    assert not OneTimeCode.objects.filter(phone=PHONE).exists()


def test_a_bad_number_is_refused_in_chinese_and_kept(client, clock):
    for typed in ("0755-12345678", "12345", "+852 9123 4567", "\uff11\uff13\uff19"):
        response = ask(client, typed)
        body = response.content.decode()
        assert response.status_code == 400
        assert zh(mobile_message()) in body
        assert f'value="{typed}"' in body
    assert not OneTimeCode.objects.exists()


# --- the code ------------------------------------------------------------------------------------


def test_a_code_expires_after_ten_minutes(client, firm_user, clock):
    ask(client)
    code = last_code()
    clock.shift(timedelta(minutes=10))
    response = reset(client, code)
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == [zh(password_sms.expired_message())]
    firm_user.refresh_from_db()
    assert not firm_user.check_password(NEW_PASSWORD)
    assert OneTimeCode.objects.get().used_at is None


def test_a_code_still_works_just_before_it_expires(client, firm_user, clock):
    ask(client)
    clock.shift(timedelta(minutes=9, seconds=59))
    assert reset(client, last_code()).status_code == 302


def test_five_wrong_codes_lock_the_code_even_against_the_right_one(client, firm_user, clock):
    ask(client)
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        response = reset(client, wrong)
        assert response.status_code == 400
        assert str(left) in response.context["form"].errors["code"][0]
        assert f'value="{wrong}"' in response.content.decode()  # the code typed is kept
    response = reset(client, wrong)
    assert response.context["form"].errors["code"] == [zh(password_sms.locked_message())]
    response = reset(client, code)
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == [zh(password_sms.locked_message())]
    firm_user.refresh_from_db()
    assert not firm_user.check_password(NEW_PASSWORD)
    assert OneTimeCode.objects.get().failed_attempts == 5
    # A new code after the minute's wait works again.
    clock.shift(timedelta(minutes=1))
    ask(client)
    assert reset(client, last_code()).status_code == 302


def test_a_used_code_is_refused_with_a_clear_message(client, firm_user, clock):
    ask(client)
    code = last_code()
    assert reset(client, code).status_code == 302
    response = reset(client, code, password="Another-pass-2028")
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == [zh(password_sms.used_message())]
    firm_user.refresh_from_db()
    assert firm_user.check_password(NEW_PASSWORD)


def test_submitting_the_same_form_twice_changes_the_password_once(client, firm_user, clock):
    ask(client)
    code = last_code()
    first = reset(client, code)
    firm_user.refresh_from_db()
    hashed = firm_user.password
    second = reset(client, code)
    assert (first.status_code, second.status_code) == (302, 302)
    assert second["Location"] == reverse("login")
    firm_user.refresh_from_db()
    assert firm_user.password == hashed  # the second submission wrote nothing
    assert OneTimeCode.objects.get().failed_attempts == 0
    assert len(locmem.outbox) == 1


def test_only_the_latest_code_works(client, firm_user, clock):
    ask(client)
    first = last_code()
    clock.shift(timedelta(minutes=1))
    ask(client)
    latest = last_code()
    if first != latest:
        assert reset(client, first).status_code == 400
    assert reset(client, latest).status_code == 302


def test_the_password_rules_apply_and_a_refused_password_keeps_the_code(client, firm_user, clock):
    ask(client)
    code = last_code()
    weak = reset(client, code, password="12345678")
    assert weak.status_code == 400
    assert "这个密码太常见了" in weak.content.decode()
    mismatch = reset(client, code, again="Kx8-other-2027")
    assert "new_password2" in mismatch.context["form"].errors
    row = OneTimeCode.objects.get()
    assert (row.used_at, row.failed_attempts) == (None, 0)
    assert reset(client, code).status_code == 302


def test_a_code_of_the_wrong_shape_is_refused_without_counting(client, firm_user, clock):
    ask(client)
    response = reset(client, "12ab")
    assert response.status_code == 400
    assert zh("The code has 6 digits; type it as it is in the SMS.") in response.content.decode()
    assert OneTimeCode.objects.get().failed_attempts == 0


def test_with_two_accounts_on_one_number_the_login_name_picks_one(client, world, firm_user, clock):
    world.colleague.mobile = PHONE
    world.colleague.save()
    ask(client)
    assert len(locmem.outbox) == 1  # one SMS to the shared number
    code = last_code()
    page = client.get(CODE_PAGE).content.decode()
    assert 'name="username"' not in page  # not asked before the code is known to be right
    response = reset(client, code)
    assert response.status_code == 400
    assert "username" in response.context["form"].errors
    assert 'name="username"' in response.content.decode()
    assert reset(client, code, username="nobody").status_code == 400
    assert reset(client, code, username="Colleague").status_code == 302
    world.colleague.refresh_from_db()
    firm_user.refresh_from_db()
    assert world.colleague.check_password(NEW_PASSWORD)
    assert not firm_user.check_password(NEW_PASSWORD)


def test_a_reset_does_not_depend_on_the_login_lock_out_like_the_email_reset(
    client, firm_user, clock, settings, mailoutbox
):
    settings.AXES_ENABLED = True
    for _ in range(5):
        client.post(reverse("login"), {"username": "firm", "password": "wrong-password"})
    assert client.post(reverse("password_reset"), {"email": firm_user.email}).status_code == 302
    assert len(mailoutbox) == 1
    assert ask(client).status_code == 302
    assert reset(client, last_code()).status_code == 302
    firm_user.refresh_from_db()
    assert firm_user.check_password(NEW_PASSWORD)


# --- hostile input (PostgreSQL refuses NUL in text) ----------------------------------------------


@pytest.mark.parametrize(
    ("page", "data"),
    [
        ("request", {"mobile": "139\x002345 6789"}),
        ("request", {"mobile": "\x00"}),
        ("request", {"mobile": "1" * 5000}),
        ("code", {"code": "12\x003456"}),
        ("code", {"code": "\x00", "username": "\x00"}),
        ("code", {"new_password1": "Kx8\x00-dianli-2027", "new_password2": "Kx8\x00-dianli-2027"}),
        ("code", {"username": "firm\x00", "code": "9" * 5000}),
    ],
)
def test_control_characters_and_huge_values_never_give_a_server_error(
    client, firm_user, clock, page, data
):
    client.raise_request_exception = False
    ask(client)
    clock.shift(timedelta(minutes=1))
    base = {"code": "000000", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    if page == "request":
        response = client.post(REQUEST, data)
    else:
        response = client.post(CODE_PAGE, {**base, **data})
    assert response.status_code in (302, 400, 429)


# --- two submissions at the same moment (row locks: PostgreSQL) ----------------------------------


def waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_submissions_at_once_use_the_code_once(world):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    user = member(world.task_force_unit, Role.TASK_FORCE, username="racer", mobile=PHONE)
    first = Client(raise_request_exception=False)
    first.post(REQUEST, {"mobile": PHONE})  # on_commit runs: this test commits for real
    code = last_code()
    second = Client(raise_request_exception=False)
    second.cookies = first.cookies  # the same browser, the form sent twice
    responses = []

    def post(client: Client) -> None:
        try:
            responses.append(reset(client, code))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(c,)) for c in (first, second)]
    with transaction.atomic():
        OneTimeCode.objects.select_for_update().get()
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while waiting_for_a_lock() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waiting_for_a_lock() >= 2, "both submissions should be waiting for the code"
    for t in threads:
        t.join(timeout=30)

    assert [r.status_code for r in responses] == [302, 302]
    row = OneTimeCode.objects.get()
    assert row.used_at is not None
    assert row.failed_attempts == 0
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)
