"""Enterprise accounts: registration, the pending state until the task force verifies, lock-outs."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation

from petitions.forms.portal import already_registered_message, mobile_message
from petitions.models import Enterprise, Petition, PetitionType, Role, User
from petitions.views.portal import too_many_message
from tests.factories import make_uscc

pytestmark = pytest.mark.django_db

USCC = make_uscc(777)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def zh(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


def form_data(world, **changes):
    data = {
        "uscc": USCC.lower(),
        "name": "汕头新能源科技有限公司",
        "jurisdiction": world.city.pk,
        "contact_name": "李明",
        "mobile": "139 2345 6789",
        "email": "liming@example.com",
        "username": "xinnengyuan",
        "password1": "Kx8-dianli-2026",
        "password2": "Kx8-dianli-2026",
    }
    data.update(changes)
    return data


def test_the_signup_page_is_public_and_lists_only_jurisdictions(client, world):
    response = client.get(reverse("portal:signup"))
    body = response.content.decode()
    assert response.status_code == 200
    assert world.city.name in body
    assert world.district.name in body
    assert world.dept.name not in body  # a department is not a jurisdiction
    assert world.task_force_unit.name not in body


def test_a_firm_registers_pending_and_is_logged_in(client, world):
    response = client.post(reverse("portal:signup"), form_data(world))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    firm = Enterprise.objects.get(uscc=USCC)  # stored upper-case
    assert not firm.is_verified
    assert firm.jurisdiction == world.city
    assert firm.contact_phone.as_e164 == "+8613923456789"
    user = User.objects.get(username="xinnengyuan")
    assert user.role == Role.ENTERPRISE
    assert user.enterprise == firm
    assert user.mobile.as_e164 == "+8613923456789"  # the account's own number, for SMS
    assert user.check_password("Kx8-dianli-2026")
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    assert "petitions/portal/pending.html" in [t.name for t in response.templates]
    assert USCC in response.content.decode()


def test_a_taken_credit_code_is_refused_without_showing_the_other_firm(client, world):
    data = form_data(world, uscc=world.other_firm.uscc.lower())
    response = client.post(reverse("portal:signup"), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert zh(already_registered_message()) in body
    assert world.other_firm.name not in body
    assert world.other_firm_user.username not in body
    assert world.other_firm.email not in body
    assert 'value="汕头新能源科技有限公司"' in body  # what was typed is kept
    assert Enterprise.objects.count() == 2
    assert not User.objects.filter(username="xinnengyuan").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("uscc", "91440500MA4UXXXX1X"),
        ("uscc", "123"),
        ("mobile", "12345"),
        ("email", "not-an-address"),
        ("jurisdiction", "999999"),
        ("username", "bad name!"),
        ("name", ""),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_created(client, world, field, value):
    response = client.post(reverse("portal:signup"), form_data(world, **{field: value}))
    body = response.content.decode()
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert f'id="id_{field}"' in body
    assert 'aria-invalid="true"' in body
    assert "invalid-feedback" in body
    assert 'value="李明"' in body
    assert not Enterprise.objects.filter(uscc=USCC).exists()


def test_a_firm_registers_without_an_email_address(client, world):
    response = client.post(reverse("portal:signup"), form_data(world, email=""))
    assert response.status_code == 302
    firm = Enterprise.objects.get(uscc=USCC)
    user = User.objects.get(username="xinnengyuan")
    assert (firm.email, user.email) == ("", "")
    assert firm.contact_phone.as_e164 == user.mobile.as_e164 == "+8613923456789"


def test_the_signup_page_asks_for_the_mobile_and_leaves_the_email_optional(client, world):
    form = client.get(reverse("portal:signup")).context["form"]
    assert form.fields["mobile"].required
    assert not form.fields["email"].required


@pytest.mark.parametrize(
    "mobile",
    ["", "0755-12345678", "12345", "140 1234 5678", "+852 9123 4567", "139 2345 678x"],
)
def test_a_missing_or_bad_mobile_is_refused_in_chinese_with_the_input_kept(client, world, mobile):
    response = client.post(reverse("portal:signup"), form_data(world, mobile=mobile))
    body = response.content.decode()
    assert response.status_code == 400
    assert "mobile" in response.context["form"].errors
    if mobile:
        assert zh(mobile_message()) in body
        assert f'value="{mobile}"' in body
    else:
        assert "这个字段是必填项" in body
    assert 'value="李明"' in body
    assert 'value="liming@example.com"' in body
    assert not Enterprise.objects.filter(uscc=USCC).exists()
    assert not User.objects.filter(username="xinnengyuan").exists()


def test_a_mobile_with_the_country_code_is_accepted(client, world):
    response = client.post(reverse("portal:signup"), form_data(world, mobile="+86 139-2345-6789"))
    assert response.status_code == 302
    assert User.objects.get(username="xinnengyuan").mobile.as_e164 == "+8613923456789"


def test_passwords_follow_djangos_rules_and_must_match(client, world):
    weak = client.post(
        reverse("portal:signup"), form_data(world, password1="12345678", password2="12345678")
    )
    assert "password1" in weak.context["form"].errors
    assert "这个密码太常见了" in weak.content.decode()
    mismatch = client.post(reverse("portal:signup"), form_data(world, password2="Kx8-other-2026"))
    assert "password2" in mismatch.context["form"].errors
    assert not User.objects.filter(username="xinnengyuan").exists()


def test_a_taken_login_name_is_refused(client, world):
    response = client.post(reverse("portal:signup"), form_data(world, username="FIRM"))
    assert "username" in response.context["form"].errors
    assert not Enterprise.objects.filter(uscc=USCC).exists()


def test_signup_needs_the_csrf_token(world):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("portal:signup"), form_data(world))
    assert response.status_code == 403
    assert not Enterprise.objects.filter(uscc=USCC).exists()


def test_signup_attempts_are_limited_per_address(client, world, settings):
    settings.PORTAL_SIGNUP_PER_IP = 3
    for i in range(3):
        client.post(reverse("portal:signup"), form_data(world, uscc=f"bad{i}"))
    response = client.post(reverse("portal:signup"), form_data(world))
    assert response.status_code == 429
    assert zh(too_many_message()) in response.content.decode()
    assert not Enterprise.objects.filter(uscc=USCC).exists()


def test_a_logged_in_person_is_sent_home_from_signup(client, world):
    client.force_login(world.firm_user)
    assert client.get(reverse("portal:signup")).status_code == 302


def test_a_pending_firm_sees_the_pending_page_and_cannot_submit(client, world):
    world.firm.is_verified = False
    world.firm.save()
    client.force_login(world.firm_user)
    home = client.get(reverse("portal:home"))
    assert home.status_code == 200
    assert "petitions/portal/pending.html" in [t.name for t in home.templates]
    assert client.get(reverse("portal:submit")).status_code == 403
    response = client.post(
        reverse("portal:submit"),
        {
            "type": PetitionType.CONSULTATION,
            "title": "咨询",
            "content": "请问政策",
            "request": "答复",
            "similar_checked": "1",
        },
    )
    assert response.status_code == 403
    assert "petitions/portal/pending.html" in [t.name for t in response.templates]
    assert not Petition.objects.exists()
    for name in ("portal:petitions", "portal:notifications"):
        assert client.get(reverse(name)).status_code == 403


def test_once_verified_the_firm_reaches_its_petitions(client, world):
    client.force_login(world.firm_user)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:petitions")


def test_repeated_wrong_passwords_lock_the_account_out(client, world, settings):
    settings.AXES_ENABLED = True
    login = reverse("login")
    for _ in range(5):
        client.post(login, {"username": "firm", "password": "wrong-password"})
    response = client.post(login, {"username": "firm", "password": "pass-for-tests-1"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
