"""My account (issue 12): every signed-in person sees who they are and changes their own e-mail
address, and their mobile number after proving with a code sent by SMS that the new number reaches
them. Codes are hashed, per account, expire, work once, lock after five wrong tries, and are
limited per account and per number. Both changes ask for the current password (five wrong ones
within an hour block them for an hour), and the old address is told of each change once.
"""

import logging
import re
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axes.models import AccessFailureLog
from django.core import mail
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from notices import outbox
from notices.models import Channel, Delivery, OneTimeCode, OptOut
from notices.sms import locmem
from petitions.forms.portal import mobile_message
from petitions.models import Role, User
from petitions.views import password_sms, profile
from tests.factories import firm_user as make_firm_user
from tests.factories import member

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SH)
OLD = "+8613923456789"
NEW = "+8613512345678"
OTHER = "+8618611112222"
PROFILE = reverse("profile")
EMAIL = reverse("profile_email")
MOBILE = reverse("profile_mobile")
CODE_PAGE = reverse("profile_mobile_confirm")
PASSWORD = "pass-for-tests-1"  # tests/factories.py
CHANGED = "account.contact_changed"


def zh(text) -> str:
    """The Chinese of a msgid (or of a lazy or already translated text)."""
    with translation.override("zh-hans"):
        return gettext(str(text))


def wrong_message(left: int) -> str:
    with translation.override("zh-hans"):
        return ngettext(
            "The code is wrong. You can try %(n)d more time, then ask for a new code.",
            "The code is wrong. You can try %(n)d more times, then ask for a new code.",
            left,
        ) % {"n": left}


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
def me(world):
    world.firm_user.first_name, world.firm_user.mobile = "小明", OLD
    world.firm_user.save()
    return world.firm_user


@pytest.fixture
def browser(client, me):
    client.force_login(me)
    return client


def ask(client, mobile="135 1234 5678", password=PASSWORD, **extra):
    # Runs what the view leaves for after commit: the SMS worker (eager in tests).
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(MOBILE, {"mobile": mobile, "password": password}, **extra)


def enter(client, code):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(CODE_PAGE, {"code": code})


def save_email(client, email, password=PASSWORD, **extra):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(EMAIL, {"email": email, "password": password}, **extra)


def last_code() -> str:
    assert locmem.outbox, "no SMS was sent"
    return re.search(r"\d{6}", locmem.outbox[-1].text).group()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def mobile_of(user: User) -> str:
    return User.objects.get(pk=user.pk).mobile.as_e164


# --- who may open the pages ------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PROFILE, EMAIL, MOBILE, CODE_PAGE])
def test_anonymous_visitors_are_sent_to_the_login_page(client, url):
    for response in (client.get(url), client.post(url, {"mobile": "13512345678", "code": "1"})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    assert not OneTimeCode.objects.exists()


# --- the page --------------------------------------------------------------------------------------


def test_a_firm_account_sees_who_it_is_and_its_links(browser, me, world):
    body = browser.get(PROFILE).content.decode()
    for shown in ("小明", "firm", zh("Enterprise"), world.firm.name, "139 2345 6789", me.email):
        assert shown in body
    assert f'href="{reverse("password_change")}"' in body
    assert f'href="{reverse("notices:settings")}"' in body
    assert f'action="{MOBILE}"' in body
    assert f'action="{EMAIL}"' in body
    # The firm's own menu stays (the portal layout), and the user menu links here.
    assert f'href="{reverse("portal:home")}"' in body
    assert f'href="{PROFILE}"' in body


@pytest.mark.parametrize("who", ["staff", "handler", "leader", "supervisor"])
def test_officials_see_their_role_and_unit(client, world, who):
    user = getattr(world, who)
    client.force_login(user)
    response = client.get(PROFILE)
    assert response.status_code == 200
    body = response.content.decode()
    assert user.get_role_display() in body
    assert user.unit.name in body
    assert zh("None yet") in body  # no mobile number on the factory's accounts


def test_the_notice_settings_page_links_a_missing_address_to_my_account(client, world):
    world.handler.email = ""
    world.handler.save()
    client.force_login(world.handler)
    body = client.get(reverse("notices:settings")).content.decode()
    assert f'href="{PROFILE}"' in body
    assert zh("Add it in My account") in body


# --- e-mail ----------------------------------------------------------------------------------------


def test_a_firm_account_changes_and_removes_its_e_mail(browser, me):
    response = browser.post(
        EMAIL, {"email": "Li.Ming@Example.COM", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain == [(PROFILE, 302)]
    assert zh("Your e-mail address is saved.") in messages_of(response)
    me.refresh_from_db()
    assert me.email == "Li.Ming@example.com"  # the domain is not case-sensitive
    assert outbox.person(me).email == "Li.Ming@example.com"

    response = browser.post(EMAIL, {"email": "  ", "password": PASSWORD}, follow=True)
    assert zh("Your e-mail address is removed.") in messages_of(response)
    me.refresh_from_db()
    assert me.email == ""


def test_a_bad_e_mail_is_refused_in_chinese_and_kept(browser, me):
    before = me.email
    response = browser.post(EMAIL, {"email": "li.ming@", "password": PASSWORD})
    assert response.status_code == 400
    body = response.content.decode()
    assert zh("Enter a valid email address.") in body
    assert 'value="li.ming@"' in body
    me.refresh_from_db()
    assert me.email == before


def test_an_official_cannot_remove_the_e_mail_notices_go_to(client, world):
    client.force_login(world.staff)
    response = client.post(EMAIL, {"email": "", "password": PASSWORD})
    assert response.status_code == 400
    assert zh("Officials need an e-mail address: your notices are sent there.") in (
        response.content.decode()
    )
    world.staff.refresh_from_db()
    assert world.staff.email == "staff@example.gov.cn"


def test_the_e_mail_form_only_takes_posts(browser):
    assert browser.get(EMAIL).status_code == 405


# --- mobile: the happy path ----------------------------------------------------------------------


def test_a_new_mobile_number_is_saved_after_the_code_sent_to_it(browser, me, clock, caplog):
    caplog.set_level(logging.DEBUG)
    response = ask(browser, "135-1234-5678")
    assert response.status_code == 302
    assert response["Location"] == CODE_PAGE

    # One SMS, to the new number, through the notices outbox; the old number hears nothing.
    assert len(locmem.outbox) == 1
    assert locmem.outbox[0].phone.replace(" ", "") in {NEW, "13512345678"}
    code = last_code()
    delivery = Delivery.objects.get(kind="account.code")
    assert (delivery.channel, delivery.user, delivery.address) == (Channel.SMS, me, NEW)
    row = OneTimeCode.objects.get()
    assert (row.purpose, row.user, row.phone) == (profile.PURPOSE, me, NEW)
    assert row.expires_at == NOW + timedelta(minutes=10)
    assert code not in row.code_hash
    assert mobile_of(me) == OLD  # nothing changes before the code comes back

    page = browser.get(CODE_PAGE)
    assert page.status_code == 200
    assert "135 1234 5678" in page.content.decode()
    assert "135 1234 5678" in browser.get(PROFILE).content.decode()  # the pending code is shown

    response = browser.post(CODE_PAGE, {"code": f" {code[:3]} {code[3:]} "}, follow=True)
    assert response.redirect_chain == [(PROFILE, 302)]
    assert zh(
        "Your mobile number is now %(phone)s. Codes and SMS notices go there from now on."
    ) % {"phone": "135 1234 5678"} in messages_of(response)
    assert mobile_of(me) == NEW
    row.refresh_from_db()
    assert (row.used_at, row.failed_attempts) == (NOW, 0)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert code not in logged

    # From now on the outbox reaches the person, and the firm's account, at the new number.
    me.refresh_from_db()
    assert outbox.person(me).phone == NEW
    mine = next(r for r in outbox.firm(me.enterprise) if r.user == me)
    assert mine.phone == NEW
    locmem.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        outbox.tell(
            "account.code", [outbox.person(me)], source="t", context={"code": "1", "minutes": "1"}
        )
    # (The task also sends whatever else is due, e.g. the notice to the old number: only "t" here.)
    sent = [m.phone.replace(" ", "") for m in locmem.outbox if m.key.startswith("t:")]
    assert sent in ([NEW], ["13512345678"])


def test_an_official_changes_a_missing_mobile_number_too(client, world, clock):
    client.force_login(world.handler)
    assert ask(client).status_code == 302
    assert enter(client, last_code()).status_code == 302
    assert mobile_of(world.handler) == NEW


def test_a_number_shared_with_a_colleague_is_accepted(client, world, me, clock):
    client.force_login(world.colleague)
    ask(client, "139 2345 6789")  # the number of `me`, the firm's shared phone
    assert enter(client, last_code()).status_code == 302
    assert mobile_of(world.colleague) == OLD == mobile_of(me)


# --- mobile: bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["0755-12345678", "12345", "139 2345 678", "+1 415 555 0100"])
def test_a_number_that_is_not_a_mainland_mobile_is_refused_in_chinese_and_kept(
    browser, me, clock, typed
):
    response = ask(browser, typed)
    assert response.status_code == 400
    body = response.content.decode()
    assert zh(mobile_message()) in body
    assert f'value="{typed}"' in body
    assert not OneTimeCode.objects.exists()
    assert locmem.outbox == []


def test_the_current_number_is_refused_next_to_the_field(browser, me, clock):
    response = ask(browser, "139 2345 6789")
    assert response.status_code == 400
    assert response.context["mobile_form"].errors["mobile"] == [
        zh("This is already your mobile number.")
    ]
    assert not OneTimeCode.objects.exists()
    assert locmem.outbox == []


def test_a_wrong_code_is_counted_and_changes_nothing(browser, me, clock):
    ask(browser)
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    response = enter(browser, wrong)
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == [wrong_message(4)]
    assert 'value="' + wrong + '"' in response.content.decode()
    assert OneTimeCode.objects.get().failed_attempts == 1
    assert mobile_of(me) == OLD


def test_a_code_of_the_wrong_shape_is_refused_without_counting(browser, me, clock):
    ask(browser)
    response = enter(browser, "12345")
    assert response.status_code == 400
    assert zh("The code has 6 digits; type it as it is in the SMS.") in response.content.decode()
    assert OneTimeCode.objects.get().failed_attempts == 0


def test_five_wrong_codes_lock_the_code_even_against_the_right_one(browser, me, clock):
    ask(browser)
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    errors = [enter(browser, wrong).context["form"].errors["code"][0] for _ in range(5)]
    assert errors[:4] == [wrong_message(n) for n in (4, 3, 2, 1)]
    assert errors[4] == zh(password_sms.locked_message())
    response = enter(browser, code)
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == [zh(password_sms.locked_message())]
    assert OneTimeCode.objects.get().failed_attempts == 5
    assert mobile_of(me) == OLD
    # A new code (after the minute) works again.
    clock.shift(timedelta(minutes=1))
    ask(browser)
    assert enter(browser, last_code()).status_code == 302
    assert mobile_of(me) == NEW


def test_a_code_expires_after_ten_minutes(browser, me, clock):
    ask(browser)
    code = last_code()
    clock.shift(timedelta(minutes=10))
    response = enter(browser, code)
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == [zh(password_sms.expired_message())]
    assert mobile_of(me) == OLD
    assert OneTimeCode.objects.get().used_at is None


def test_a_code_still_works_just_before_it_expires(browser, me, clock):
    ask(browser)
    clock.shift(timedelta(minutes=9, seconds=59))
    assert enter(browser, last_code()).status_code == 302
    assert mobile_of(me) == NEW


def test_only_the_latest_code_works(browser, me, clock):
    ask(browser, "135 1234 5678")
    first = last_code()
    clock.shift(timedelta(minutes=1))
    ask(browser, "186 1111 2222")
    second = last_code()
    if first != second:
        assert enter(browser, first).status_code == 400
    assert enter(browser, second).status_code == 302
    assert mobile_of(me) == OTHER


# --- mobile: once only ---------------------------------------------------------------------------


def test_submitting_the_code_twice_is_harmless(browser, me, clock):
    ask(browser)
    code = last_code()
    first = enter(browser, code)
    history = me.history.count()
    second = enter(browser, code)
    assert (first.status_code, second.status_code) == (302, 302)
    assert second["Location"] == PROFILE
    assert mobile_of(me) == NEW
    assert me.history.count() == history  # the second one wrote nothing
    row = OneTimeCode.objects.get()
    assert row.failed_attempts == 0


def test_a_used_code_cannot_bring_a_number_back(browser, me, world, clock):
    ask(browser)
    code = last_code()
    enter(browser, code)
    # The number is changed again meanwhile (here by an administrator).
    me.mobile = OTHER
    me.save()
    response = enter(browser, code)
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == [zh(profile.used_message())]
    assert mobile_of(me) == OTHER
    # A wrong code on a used one says the same and counts nothing.
    assert enter(browser, "000000").context["form"].errors["code"] == [zh(profile.used_message())]
    assert OneTimeCode.objects.get().failed_attempts == 0
    # Once used, the code page has nothing to confirm.
    response = browser.get(CODE_PAGE, follow=True)
    assert response.redirect_chain == [(PROFILE, 302)]


def test_the_code_page_without_a_code_sends_the_person_to_my_account(browser, me):
    response = browser.get(CODE_PAGE, follow=True)
    assert response.redirect_chain == [(PROFILE, 302)]
    assert zh(profile.no_code_message()) in messages_of(response)
    response = browser.post(CODE_PAGE, {"code": "123456"})
    assert (response.status_code, response["Location"]) == (302, PROFILE)
    assert mobile_of(me) == OLD


def test_another_persons_code_does_not_work(client, world, me, clock):
    """Codes belong to one account: a colleague typing my code changes nothing of either."""
    mine = Client()
    mine.force_login(me)
    ask(mine, "135 1234 5678")
    my_code = last_code()

    client.force_login(world.colleague)
    # Without a code of their own, the colleague is sent to ask for one.
    response = enter(client, my_code)
    assert response.status_code == 302
    assert response["Location"] == PROFILE
    # With one, mine is just a wrong code for theirs.
    ask(client, "186 1111 2222")
    their_code = last_code()
    if their_code != my_code:
        response = enter(client, my_code)
        assert response.status_code == 400
        assert response.context["form"].errors["code"] == [wrong_message(4)]
    assert not User.objects.get(pk=world.colleague.pk).mobile
    assert mobile_of(me) == OLD
    assert OneTimeCode.objects.get(user=me).failed_attempts == 0
    # Mine still works for me.
    assert enter(mine, my_code).status_code == 302
    assert mobile_of(me) == NEW


# --- mobile: limits ------------------------------------------------------------------------------


def test_one_code_a_minute_per_account(browser, me, clock):
    assert ask(browser).status_code == 302
    clock.shift(timedelta(seconds=30))
    response = ask(browser, "186 1111 2222")  # another number does not get round it
    assert response.status_code == 429
    body = response.content.decode()
    assert "30" in response.context["mobile_form"].non_field_errors()[0]
    assert 'value="186 1111 2222"' in body  # what was typed is kept
    assert f'href="{CODE_PAGE}"' in body  # and the code already sent can still be entered
    assert OneTimeCode.objects.count() == 1
    assert len(locmem.outbox) == 1
    clock.shift(timedelta(seconds=31))
    assert ask(browser, "186 1111 2222").status_code == 302
    assert OneTimeCode.objects.count() == 2


def test_five_codes_an_hour_per_account_counted_in_the_database(browser, me, clock):
    for i in range(5):
        assert ask(browser, f"135 1234 567{i}").status_code == 302
        cache.clear()  # the count does not depend on the cache
        clock.shift(timedelta(minutes=2))
    response = ask(browser, "135 1234 5679")
    assert response.status_code == 429
    assert (
        zh(
            "Five codes were sent for your account in the last hour, the most allowed. "
            "Please try again later."
        )
        in response.content.decode()
    )
    assert OneTimeCode.objects.count() == 5
    clock.shift(timedelta(minutes=51))  # the first is now more than an hour old
    assert ask(browser, "135 1234 5679").status_code == 302


def test_five_codes_an_hour_per_number_whoever_asks(world, clock):
    accounts = [make_firm_user(world.firm, username=f"clerk{i}") for i in range(6)]
    answers = []
    for account in accounts:
        client = Client()
        client.force_login(account)
        answers.append(ask(client, "135 1234 5678").status_code)
    assert answers == [302] * 5 + [429]
    assert len(locmem.outbox) == 5
    assert OneTimeCode.objects.count() == 5


# --- hostile input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (MOBILE, {"mobile": "135\x001234 5678", "password": PASSWORD}),
        (MOBILE, {"mobile": "\x00", "password": PASSWORD}),
        (MOBILE, {"mobile": "1" * 5000, "password": PASSWORD}),
        (MOBILE, {"mobile": "135 1234 5678", "password": "pass\x00" + "x" * 5000}),
        (EMAIL, {"email": "li\x00@example.com", "password": PASSWORD}),
        (EMAIL, {"email": "x" * 5000 + "@example.com", "password": PASSWORD}),
        (EMAIL, {"email": "li@example.com", "password": "\x00"}),
        (CODE_PAGE, {"code": "12\x003456"}),
        (CODE_PAGE, {"code": "9" * 5000}),
        (CODE_PAGE, {"code": "\x00"}),
    ],
)
def test_control_characters_and_huge_values_never_give_a_server_error(
    browser, me, clock, url, data
):
    """Control characters are stripped before the form sees them (zqztc/sanitize.py); whatever is
    left is checked like anything typed, and nothing with a NUL is ever stored."""
    browser.raise_request_exception = False
    ask(browser)
    response = browser.post(url, data)
    assert response.status_code in (302, 400, 429)
    me.refresh_from_db()
    stored = [me.email, mobile_of(me), *OneTimeCode.objects.values_list("phone", flat=True)]
    assert not any("\x00" in value for value in stored)
    assert mobile_of(me) == OLD  # no code typed here was the right one


# --- two submissions at the same moment (row locks: PostgreSQL) ----------------------------------


def waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_submissions_at_once_use_the_code_once(world):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    user = member(world.task_force_unit, Role.TASK_FORCE, username="racer", mobile=OLD)
    first = Client(raise_request_exception=False)
    first.force_login(user)
    first.post(MOBILE, {"mobile": NEW, "password": PASSWORD})  # on_commit runs: commits for real
    code = last_code()
    second = Client(raise_request_exception=False)
    second.cookies = first.cookies  # the same browser, the form sent twice
    responses = []

    def post(client: Client) -> None:
        try:
            responses.append(enter(client, code))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(c,)) for c in (first, second)]
    history = user.history.count()
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
    assert mobile_of(user) == NEW
    assert user.history.count() == history + 1  # saved once
    # … and told once: the old number and the e-mail; the SMS are the code and this notice.
    assert sorted(Delivery.objects.filter(kind=CHANGED).values_list("channel", "address")) == [
        (Channel.EMAIL, user.email),
        (Channel.SMS, OLD),
    ]
    assert len(locmem.outbox) == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_code_requests_at_once_send_one_code(world):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    user = member(world.task_force_unit, Role.TASK_FORCE, username="racer", mobile=OLD)
    first = Client(raise_request_exception=False)
    first.force_login(user)
    second = Client(raise_request_exception=False)
    second.cookies = first.cookies  # the same browser, the button pressed twice
    responses = []

    def post(client: Client) -> None:
        try:
            responses.append(client.post(MOBILE, {"mobile": NEW, "password": PASSWORD}))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(c,)) for c in (first, second)]
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while waiting_for_a_lock() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waiting_for_a_lock() >= 2, "both requests should be waiting for the account"
    for t in threads:
        t.join(timeout=30)

    assert sorted(r.status_code for r in responses) == [302, 429]
    assert OneTimeCode.objects.count() == 1
    assert len(locmem.outbox) == 1


# --- the current password ------------------------------------------------------------------------


def wrong_password_message(left: int) -> str:
    with translation.override("zh-hans"):
        return ngettext(
            "The password is wrong. After %(n)d more wrong try, changing your e-mail address or "
            "mobile number is blocked for an hour.",
            "The password is wrong. After %(n)d more wrong tries, changing your e-mail address or "
            "mobile number is blocked for an hour.",
            left,
        ) % {"n": left}


def locked_password_message(until: datetime) -> str:
    with translation.override("zh-hans"):
        return profile.password_locked_message(until)


def changed_deliveries():
    return Delivery.objects.filter(kind=CHANGED)


def test_the_page_asks_for_the_current_password_in_both_forms(browser):
    body = browser.get(PROFILE).content.decode()
    assert body.count('type="password"') == 2
    assert body.count('autocomplete="current-password"') == 2
    # Two forms on one page: their fields keep ids of their own.
    for id_ in ("email_email", "email_password", "mobile_mobile", "mobile_password"):
        assert body.count(f'id="{id_}"') == 1
        assert f'for="{id_}"' in body


def test_a_wrong_password_changes_no_e_mail_and_keeps_what_was_typed(browser, me, clock):
    before = me.email
    response = save_email(browser, "new@example.com", password="not-my-password")
    assert response.status_code == 400
    assert response.context["email_form"].errors["password"] == [wrong_password_message(4)]
    body = response.content.decode()
    assert wrong_password_message(4) in body
    assert 'value="new@example.com"' in body  # the address typed is kept …
    assert "not-my-password" not in body  # … the password never comes back
    me.refresh_from_db()
    assert me.email == before
    assert not changed_deliveries().exists()
    assert mail.outbox == []
    assert locmem.outbox == []
    failure = AccessFailureLog.objects.get()
    assert (failure.username, failure.path_info, failure.locked_out) == (me.username, EMAIL, False)


def test_a_wrong_password_sends_no_code_and_keeps_the_number(browser, me, clock):
    response = ask(browser, "135 1234 5678", password="not-my-password")
    assert response.status_code == 400
    assert response.context["mobile_form"].errors["password"] == [wrong_password_message(4)]
    body = response.content.decode()
    assert 'value="135 1234 5678"' in body
    assert "not-my-password" not in body
    assert not OneTimeCode.objects.exists()
    assert locmem.outbox == []
    assert mail.outbox == []
    assert mobile_of(me) == OLD
    assert AccessFailureLog.objects.get().path_info == MOBILE


@pytest.mark.parametrize("url", [EMAIL, MOBILE])
def test_an_empty_password_is_refused_without_counting(browser, me, clock, url):
    response = browser.post(url, {"email": "new@example.com", "mobile": "135 1234 5678"})
    assert response.status_code == 400
    assert zh("Enter your current password to confirm the change.") in response.content.decode()
    assert not AccessFailureLog.objects.exists()
    assert not OneTimeCode.objects.exists()
    assert User.objects.get(pk=me.pk).email == me.email


def test_five_wrong_passwords_in_an_hour_block_both_changes_for_an_hour(browser, me, world, clock):
    """Counted per account in the database, whatever the form and the client address."""
    answers = []
    for i in range(5):
        send = save_email if i % 2 else ask
        value = "new@example.com" if i % 2 else "135 1234 5678"
        response = send(browser, value, password=f"guess-{i}", REMOTE_ADDR=f"10.0.0.{i}")
        form = response.context["email_form" if i % 2 else "mobile_form"]
        answers.append((response.status_code, form.errors["password"]))
        clock.shift(timedelta(minutes=10))
    # The fifth, 40 minutes after the first, blocks until an hour after it: 10:40 → 11:40.
    until = NOW + timedelta(minutes=40 + 60)
    assert answers == [(400, [wrong_password_message(n)]) for n in (4, 3, 2, 1)] + [
        (429, [locked_password_message(until)])
    ]
    assert "11:40" in answers[4][1][0]
    assert AccessFailureLog.objects.filter(locked_out=True).count() == 1

    # The right password does not help now, on either form; refusals are not counted.
    clock.shift(timedelta(minutes=49))  # 11:39
    for response, form, typed in (
        (save_email(browser, "new@example.com"), "email_form", "new@example.com"),
        (ask(browser, "135 1234 5678"), "mobile_form", "135 1234 5678"),
    ):
        assert response.status_code == 429
        assert response.context[form].errors["password"] == [locked_password_message(until)]
        assert f'value="{typed}"' in response.content.decode()
    assert AccessFailureLog.objects.count() == 5
    me.refresh_from_db()
    assert me.email != "new@example.com"
    assert mobile_of(me) == OLD
    assert not OneTimeCode.objects.exists()
    assert locmem.outbox == []
    assert mail.outbox == []
    assert not changed_deliveries().exists()

    # Another account is not blocked.
    other = Client()
    other.force_login(world.colleague)
    assert save_email(other, "colleague@example.com").status_code == 302

    # An hour after the fifth, the block is over and the count starts again.
    clock.shift(timedelta(minutes=1))  # 11:40
    response = save_email(browser, "new@example.com", password="guess-again")
    assert response.context["email_form"].errors["password"] == [wrong_password_message(4)]
    assert save_email(browser, "new@example.com").status_code == 302
    me.refresh_from_db()
    assert me.email == "new@example.com"


def test_wrong_passwords_older_than_an_hour_no_longer_count(browser, me, clock):
    for i in range(4):
        save_email(browser, "new@example.com", password=f"guess-{i}")
    clock.shift(timedelta(hours=1))
    response = save_email(browser, "new@example.com", password="guess-4")
    assert response.status_code == 400
    assert response.context["email_form"].errors["password"] == [wrong_password_message(4)]


def test_an_account_without_a_usable_password_is_refused(browser, me, clock):
    me.set_unusable_password()
    me.save()
    browser.force_login(me)  # the session follows the password hash
    for response, form in (
        (save_email(browser, "new@example.com", password="anything"), "email_form"),
        (ask(browser, "135 1234 5678", password="anything"), "mobile_form"),
    ):
        assert response.status_code == 400
        assert response.context[form].non_field_errors() == [zh(profile.no_password_message())]
        assert zh(profile.no_password_message()) in response.content.decode()
    me.refresh_from_db()
    assert me.email != "new@example.com"
    assert not OneTimeCode.objects.exists()
    assert not AccessFailureLog.objects.exists()


# --- the old address is told ---------------------------------------------------------------------


def sms_to(phone: str) -> list[str]:
    national = phone.removeprefix("+86")
    return [m.text for m in locmem.outbox if m.phone.replace(" ", "") in (phone, national)]


def changed_text(what: str) -> str:
    with translation.override("zh-hans"):
        return gettext("Your ZQZTC %(what)s changed on %(date)s. Not you? Call the task force.") % {
            "what": gettext(what),
            "date": "2026-12-01",
        }


def test_an_e_mail_change_is_told_once_to_the_old_address_and_the_mobile(browser, me, clock):
    old = me.email
    assert old
    response = save_email(browser, "new@example.com")
    assert response.status_code == 302

    rows = changed_deliveries()
    assert sorted((r.channel, r.address, r.status) for r in rows) == [
        (Channel.EMAIL, old, "sent"),
        (Channel.SMS, OLD, "sent"),
    ]
    assert {r.user for r in rows} == {me}
    text = changed_text("e-mail address")
    assert [m.to for m in mail.outbox] == [[old]]  # the new address hears nothing
    assert text in mail.outbox[0].body
    assert sms_to(OLD) == [text]
    assert len(locmem.outbox) == 1

    # The same form sent again changes nothing and tells nothing.
    assert save_email(browser, "new@example.com").status_code == 302
    assert changed_deliveries().count() == 2
    assert len(mail.outbox) == 1
    assert len(locmem.outbox) == 1

    # A second change, even at the same instant, is told again: to the then old address.
    assert save_email(browser, "third@example.com").status_code == 302
    assert sorted(changed_deliveries().values_list("channel", "address")) == [
        (Channel.EMAIL, old),
        (Channel.EMAIL, "new@example.com"),
        (Channel.SMS, OLD),
        (Channel.SMS, OLD),
    ]
    assert [m.to for m in mail.outbox] == [[old], ["new@example.com"]]


def test_the_notice_cannot_be_turned_off(browser, me, clock):
    for channel in (Channel.EMAIL, Channel.SMS):
        OptOut.objects.create(user=me, kind=CHANGED, channel=channel)
    save_email(browser, "new@example.com")
    assert len(mail.outbox) == 1
    assert len(locmem.outbox) == 1


def test_removing_the_e_mail_tells_the_removed_address(browser, me, clock):
    old = me.email
    save_email(browser, "")
    assert [m.to for m in mail.outbox] == [[old]]
    assert sms_to(OLD) == [changed_text("e-mail address")]


def test_an_official_without_a_mobile_is_told_by_e_mail_only(client, world, clock):
    client.force_login(world.staff)
    assert save_email(client, "staff.new@example.gov.cn").status_code == 302
    assert [m.to for m in mail.outbox] == [["staff@example.gov.cn"]]
    assert locmem.outbox == []
    sms = changed_deliveries().get(channel=Channel.SMS)
    assert (sms.status, sms.address) == ("skipped", "")


def test_a_mobile_change_is_told_once_to_the_old_number_and_the_e_mail(browser, me, clock):
    ask(browser, "135 1234 5678")
    code = last_code()
    assert not changed_deliveries().exists()  # nothing changed yet
    locmem.outbox.clear()
    assert enter(browser, code).status_code == 302

    rows = changed_deliveries()
    assert sorted((r.channel, r.address, r.status) for r in rows) == [
        (Channel.EMAIL, me.email, "sent"),
        (Channel.SMS, OLD, "sent"),
    ]
    text = changed_text("mobile number")
    assert sms_to(OLD) == [text]
    assert sms_to(NEW) == []  # the new number got only its code
    assert [m.to for m in mail.outbox] == [[me.email]]
    assert text in mail.outbox[0].body

    # The code sent twice (the form submitted again): one notice still.
    assert enter(browser, code).status_code == 302
    assert changed_deliveries().count() == 2
    assert len(locmem.outbox) == 1
    assert len(mail.outbox) == 1


def test_a_wrong_code_tells_nobody(browser, me, clock):
    ask(browser)
    code = last_code()
    enter(browser, "000000" if code != "000000" else "111111")
    assert not changed_deliveries().exists()
    assert mail.outbox == []


def test_a_first_mobile_number_is_told_to_the_e_mail(client, world, clock):
    client.force_login(world.handler)
    ask(client)
    enter(client, last_code())
    assert [m.to for m in mail.outbox] == [[world.handler.email]]
    assert changed_deliveries().get(channel=Channel.SMS).status == "skipped"  # no old number


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_e_mail_submissions_at_once_save_and_tell_once(world):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    user = member(world.task_force_unit, Role.TASK_FORCE, username="racer", mobile=OLD)
    old = user.email
    first = Client(raise_request_exception=False)
    first.force_login(user)
    second = Client(raise_request_exception=False)
    second.cookies = first.cookies  # the same browser, the button pressed twice
    responses = []

    def post(client: Client) -> None:
        try:
            responses.append(
                client.post(EMAIL, {"email": "racer.new@example.gov.cn", "password": PASSWORD})
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(c,)) for c in (first, second)]
    history = user.history.count()
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while waiting_for_a_lock() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waiting_for_a_lock() >= 2, "both submissions should be waiting for the account"
    for t in threads:
        t.join(timeout=30)

    assert [r.status_code for r in responses] == [302, 302]
    assert User.objects.get(pk=user.pk).email == "racer.new@example.gov.cn"
    assert user.history.count() == history + 1  # saved once
    assert sorted(changed_deliveries().values_list("channel", "address")) == [
        (Channel.EMAIL, old),
        (Channel.SMS, OLD),
    ]
    assert [m.to for m in mail.outbox] == [[old]]
    assert len(locmem.outbox) == 1
