"""The verification pages (issue 12 §6): the task force's queue, batch verify with its confirmation,
the refusal form, invitations; on the portal the pending page, the correction of a refused firm's
details and the activation of an invited firm. Other audiences get 403, other jurisdictions' firms
404, and a refusal writes nothing."""

import re
import threading
import time

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext_lazy

from notices.models import Channel, Delivery, OneTimeCode
from notices.sms import locmem
from petitions.models import Enterprise, Notification, OrgUnit, Role, User
from tests.factories import EnterpriseFactory, firm_user, make_uscc
from tests.petitions.adminforms import form_data, in_role_group

pytestmark = pytest.mark.django_db

PASSWORD = "Kx8-dianli-2026"
QUEUE = reverse("staff:verification")
VERIFY = reverse("staff:verify_enterprises")
ACTIVATE = reverse("portal:activate")


def zh(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.staff)
    return client


def pending_firm(world, *, jurisdiction=None, account=True, **fields) -> Enterprise:
    firm = EnterpriseFactory(jurisdiction=jurisdiction or world.city, is_verified=False, **fields)
    if account:
        firm_user(firm, email=firm.email, username=f"acct{firm.pk}")
    return firm


def untouched(*firms) -> None:
    for firm in firms:
        firm.refresh_from_db()
        assert not firm.is_verified
        assert (firm.verified_at, firm.refused_at, firm.invited_at) == (None, None, None)
        assert not Delivery.objects.filter(enterprise=firm).exists()
        assert not OneTimeCode.objects.filter(enterprise=firm).exists()


# --- the queue ---------------------------------------------------------------------------------------


def test_the_queue_lists_the_jurisdictions_waiting_firms_with_their_invitation(staff_client, world):
    waiting = pending_firm(world, jurisdiction=world.district)
    imported = pending_firm(world, account=False)
    invited = pending_firm(world, account=False)
    staff_client.post(reverse("staff:invite_enterprise", args=[invited.pk]))
    foreign = pending_firm(world, jurisdiction=world.other_city)

    response = staff_client.get(QUEUE)

    assert response.status_code == 200
    listed = [firm.pk for firm in response.context["page"]]
    assert listed == [waiting.pk, imported.pk, invited.pk]  # oldest first; verified ones left out
    assert foreign.pk not in listed
    html = response.content.decode()
    assert foreign.name not in html
    assert world.firm.name not in html  # verified
    assert zh(gettext_lazy("No account; not yet invited")) in html
    assert f'name="enterprises" value="{waiting.pk}"' in html
    assert reverse("staff:invite_enterprise", args=[imported.pk]) in html
    assert reverse("staff:invite_enterprise", args=[waiting.pk]) not in html  # has an account
    assert response.context["counts"] == {"pending": 3, "refused": 0, "no_account": 2}


def test_the_workbench_and_the_navigation_link_to_the_queue_with_its_count(staff_client, world):
    pending_firm(world)
    pending_firm(world)

    response = staff_client.get(reverse("staff:home"))

    assert response.context["to_verify"] == 2
    assert response.content.decode().count(f'href="{QUEUE}"') == 2  # the card and the menu


@pytest.mark.parametrize("who", ["leader", "supervisor", "handler", "firm_user"])
def test_other_audiences_get_403_on_every_verification_page(client, world, who):
    firm = pending_firm(world)
    client.force_login(getattr(world, who))

    pages = [
        client.get(QUEUE),
        client.post(VERIFY, {"enterprises": [firm.pk], "confirmed": "1"}),
        client.get(reverse("staff:refuse_enterprise", args=[firm.pk])),
        client.post(reverse("staff:refuse_enterprise", args=[firm.pk]), {"reason": "资料不全"}),
        client.post(reverse("staff:invite_enterprise", args=[firm.pk])),
    ]

    assert [r.status_code for r in pages] == [403] * 5
    untouched(firm)


def test_another_jurisdictions_task_force_gets_404_for_a_firm(client, world):
    firm = pending_firm(world, account=False)
    client.force_login(world.foreign_staff)

    pages = [
        client.get(reverse("staff:refuse_enterprise", args=[firm.pk])),
        client.post(reverse("staff:refuse_enterprise", args=[firm.pk]), {"reason": "资料不全"}),
        client.post(reverse("staff:invite_enterprise", args=[firm.pk])),
    ]

    assert [r.status_code for r in pages] == [404] * 3
    assert firm.name not in client.get(QUEUE).content.decode()
    untouched(firm)


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- batch verify ---------------------------------------------------------------------------------------


def test_verify_selected_asks_once_for_confirmation_and_writes_nothing_yet(staff_client, world):
    one, two = pending_firm(world), pending_firm(world)

    response = staff_client.post(VERIFY, {"enterprises": [one.pk, two.pk]})

    assert response.status_code == 200
    html = response.content.decode()
    assert one.name in html
    assert two.name in html
    assert 'name="confirmed" value="1"' in html
    untouched(one, two)


def test_a_batch_with_a_foreign_firm_verifies_the_own_ones_and_reports_each(staff_client, world):
    mine, also_mine = pending_firm(world), pending_firm(world, jurisdiction=world.district)
    foreign = pending_firm(world, jurisdiction=world.other_city)

    response = staff_client.post(
        VERIFY, {"enterprises": [mine.pk, foreign.pk, also_mine.pk], "confirmed": "1"}, follow=True
    )

    assert response.redirect_chain == [(QUEUE, 302)]
    html = response.content.decode()
    refusal = zh(
        gettext_lazy("Enterprise no. %(id)d is not among the firms of your jurisdiction.")
    ) % {"id": foreign.pk}
    assert escape(refusal) in html
    assert escape(zh(gettext_lazy("%(name)s verified.")) % {"name": mine.name}) in html
    assert foreign.name not in html
    assert Enterprise.objects.filter(pk__in=[mine.pk, also_mine.pk], is_verified=True).count() == 2
    untouched(foreign)
    # Each verified firm: one in-app notice, one SMS and one e-mail waiting for the worker.
    for firm in (mine, also_mine):
        assert Notification.objects.filter(user__enterprise=firm, kind="firm.verified").count() == 1
        channels = sorted(
            Delivery.objects.filter(
                enterprise=firm, kind="firm.verified", status="pending"
            ).values_list("channel", flat=True)
        )
        assert channels == [Channel.EMAIL, Channel.SMS]


@pytest.mark.parametrize(
    "ids",
    [[], ["abc"], [str(2**63)], ["-1"], ["0"]],
    ids=["none", "text", "past-64-bits", "negative", "zero"],
)
def test_a_batch_without_a_valid_selection_is_refused_with_a_message(staff_client, world, ids):
    firm = pending_firm(world)

    response = staff_client.post(VERIFY, {"enterprises": ids, "confirmed": "1"}, follow=True)

    assert response.redirect_chain == [(QUEUE, 302)]
    expected = "Choose at least one enterprise." if not ids else "Choose enterprises from the list."
    assert escape(zh(gettext_lazy(expected))) in response.content.decode()
    untouched(firm)


# --- one firm: check and refuse ------------------------------------------------------------------------


def test_the_firm_page_shows_the_details_to_check(staff_client, world):
    firm = pending_firm(world)

    response = staff_client.get(reverse("staff:refuse_enterprise", args=[firm.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert firm.uscc in html
    assert firm.email in html
    assert f"acct{firm.pk}" in html  # its account
    assert 'name="reason"' in html


def test_refusing_with_a_reason_goes_back_to_the_queue_and_tells_the_firm(staff_client, world):
    firm = pending_firm(world)

    response = staff_client.post(
        reverse("staff:refuse_enterprise", args=[firm.pk]), {"reason": "名称与营业执照不符"}
    )

    assert response.status_code == 302
    assert response["Location"] == QUEUE
    firm.refresh_from_db()
    assert (firm.refusal_reason, firm.refused_by) == ("名称与营业执照不符", world.staff)
    assert Notification.objects.filter(kind="firm.verification_refused").count() == 1


def test_a_refusal_without_reason_is_shown_on_the_form_and_writes_nothing(staff_client, world):
    firm = pending_firm(world)

    response = staff_client.post(
        reverse("staff:refuse_enterprise", args=[firm.pk]), {"reason": "   "}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["reason"]
    untouched(firm)


def test_a_refusal_of_a_firm_verified_meanwhile_keeps_the_typed_reason(staff_client, world):
    firm = pending_firm(world)
    page = staff_client.get(reverse("staff:refuse_enterprise", args=[firm.pk]))
    assert page.status_code == 200
    Enterprise.objects.filter(pk=firm.pk).update(is_verified=True)  # another member verified it

    response = staff_client.post(
        reverse("staff:refuse_enterprise", args=[firm.pk]), {"reason": "地址无法核实"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert escape(zh(gettext_lazy("%(name)s is already verified.")) % {"name": firm.name}) in html
    assert "地址无法核实" in html
    firm.refresh_from_db()
    assert firm.refused_at is None


# --- invitations -----------------------------------------------------------------------------------------


def test_inviting_from_the_queue_sends_the_code_and_shows_when(staff_client, world):
    firm = pending_firm(world, account=False)

    response = staff_client.post(
        reverse("staff:invite_enterprise", args=[firm.pk]), {"tab": "no_account"}, follow=True
    )

    assert response.redirect_chain == [(f"{QUEUE}?tab=no_account", 302)]
    firm.refresh_from_db()
    assert firm.invited_by == world.staff
    assert OneTimeCode.objects.filter(enterprise=firm).count() == 1
    assert Delivery.objects.filter(enterprise=firm, kind="firm.invitation").count() == 2
    html = response.content.decode()
    assert reverse("staff:invite_enterprise", args=[firm.pk]) in html  # "invite again"


def test_inviting_again_at_once_is_refused_with_a_message(staff_client, world):
    firm = pending_firm(world, account=False)
    url = reverse("staff:invite_enterprise", args=[firm.pk])
    staff_client.post(url)

    response = staff_client.post(url, follow=True)

    assert response.redirect_chain == [(QUEUE, 302)]
    assert OneTimeCode.objects.filter(enterprise=firm).count() == 1
    texts = [str(m) for m in response.context["messages"]]
    assert any(firm.name in t for t in texts)


# --- the admin ---------------------------------------------------------------------------------------------


def test_the_admin_shows_verification_read_only_and_points_to_the_queue(client, world):
    firm = pending_firm(world)
    client.force_login(in_role_group(world.staff))
    url = reverse("admin:petitions_enterprise_change", args=[firm.pk])
    page = client.get(url)
    assert QUEUE in page.content.decode()
    assert "is_verified" not in page.context["adminform"].form.fields

    response = client.post(url, form_data(page, is_verified="on", verified_by=world.staff.pk))

    assert response.status_code == 302
    firm.refresh_from_db()
    assert not firm.is_verified
    assert firm.verified_by is None


# --- the portal: the pending page and corrections ------------------------------------------------------------


def test_the_pending_page_gives_the_task_forces_phone(client, world):
    firm = pending_firm(world)
    client.force_login(firm.accounts.get())
    no_number = zh(
        gettext_lazy(
            "If it takes more than a few working days, contact the task force of your "
            "jurisdiction; no phone number of it is on record here."
        )
    )
    assert escape(no_number) in client.get(reverse("portal:home")).content.decode()

    OrgUnit.objects.filter(pk=world.city.pk).update(contact_phone="+8675488888888")
    assert "0754 8888 8888" in client.get(reverse("portal:home")).content.decode()

    OrgUnit.objects.filter(pk=world.task_force_unit.pk).update(contact_phone="+8675412345678")
    html = client.get(reverse("portal:home")).content.decode()
    assert "0754 1234 5678" in html
    assert "0754 8888 8888" not in html
    # Every page the firm may not use yet shows the same (with 403).
    response = client.get(reverse("portal:submit"))
    assert response.status_code == 403
    assert "0754 1234 5678" in response.content.decode()


def test_a_refused_firm_reads_the_reason_corrects_its_details_and_waits_again(client, world):
    firm = pending_firm(world)
    client.force_login(world.staff)
    client.post(reverse("staff:refuse_enterprise", args=[firm.pk]), {"reason": "信用代码有误"})
    client.force_login(firm.accounts.get())

    assert "信用代码有误" in client.get(reverse("portal:home")).content.decode()
    page = client.get(reverse("portal:correct_details"))
    assert page.status_code == 200
    assert page.context["form"]["uscc"].value() == firm.uscc

    response = client.post(
        reverse("portal:correct_details"),
        {
            "uscc": make_uscc(4343).lower(),
            "name": firm.name,
            "jurisdiction": world.city.pk,
            "contact_name": "李明",
            "contact_phone": "139 2345 6789",
            "email": firm.email,
        },
    )

    assert response.status_code == 302
    firm.refresh_from_db()
    assert (firm.uscc, firm.refused_at) == (make_uscc(4343), None)
    assert "信用代码有误" not in client.get(reverse("portal:home")).content.decode()
    client.force_login(world.staff)
    assert firm in client.get(QUEUE).context["page"].object_list


def test_a_correction_with_a_taken_credit_code_keeps_what_was_typed(client, world):
    firm = pending_firm(world)
    client.force_login(firm.accounts.get())

    response = client.post(
        reverse("portal:correct_details"),
        {
            "uscc": world.other_firm.uscc,
            "name": "新名称有限公司",
            "jurisdiction": world.city.pk,
            "contact_name": "李明",
            "contact_phone": "13923456789",
            "email": firm.email,
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors["uscc"]
    assert "新名称有限公司" in response.content.decode()
    assert world.other_firm.name not in response.content.decode()
    firm.refresh_from_db()
    assert firm.name != "新名称有限公司"


def test_a_verified_firm_and_staff_cannot_use_the_correction_page(client, world):
    client.force_login(world.firm_user)
    assert client.get(reverse("portal:correct_details")).status_code == 302
    response = client.post(reverse("portal:correct_details"), {"name": "改名有限公司"})
    assert response.status_code == 302
    world.firm.refresh_from_db()
    assert world.firm.name != "改名有限公司"
    client.force_login(world.staff)
    assert client.get(reverse("portal:correct_details")).status_code == 403


# --- the portal: activation ---------------------------------------------------------------------------------


def invited(world) -> tuple[Enterprise, str]:
    firm = pending_firm(world, account=False)
    client = Client()
    client.force_login(world.staff)
    client.post(reverse("staff:invite_enterprise", args=[firm.pk]))
    sms = Delivery.objects.get(enterprise=firm, kind="firm.invitation", channel=Channel.SMS)
    # Once sent, the code is erased from the delivery row: then it is read from the sent SMS.
    text = sms.body or next(m.text for m in reversed(locmem.outbox) if m.key == sms.key)
    return firm, re.search(r"(?<!\d)\d{6}(?!\d)", text).group()


def activation(firm, code, **changes):
    return {
        "uscc": firm.uscc,
        "phone": "13800138000",
        "code": code,
        "username": "new_firm_login",
        "password1": PASSWORD,
        "password2": PASSWORD,
    } | changes


def test_activation_opens_the_account_logs_in_and_lets_the_firm_petition(client, world):
    firm, code = invited(world)
    assert client.get(ACTIVATE).status_code == 200  # no login needed

    response = client.post(ACTIVATE, activation(firm, code))

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    user = User.objects.get(username="new_firm_login")
    assert (user.enterprise, user.role) == (firm, Role.ENTERPRISE)
    assert client.get(reverse("portal:submit")).status_code == 200  # verified, logged in
    assert Notification.objects.filter(user=user, kind="firm.verified").count() == 1


def test_a_wrong_code_is_shown_next_to_the_field_with_the_input_kept(client, world):
    firm, code = invited(world)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    response = client.post(ACTIVATE, activation(firm, wrong))

    assert response.status_code == 400
    tries = zh(gettext_lazy("The activation code is not right; %(n)d tries left.")) % {"n": 4}
    assert response.context["form"].errors["code"] == [tries]
    html = response.content.decode()
    assert firm.uscc in html
    assert "new_firm_login" in html
    assert not User.objects.filter(enterprise=firm).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"code": "12ab"}, "code"), ({"password2": "another-Pass-1"}, "password2")],
)
def test_a_malformed_activation_is_refused_by_the_form(client, world, changes, field):
    firm, code = invited(world)
    response = client.post(ACTIVATE, activation(firm, code) | changes)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert OneTimeCode.objects.get(enterprise=firm).failed_attempts == 0


def test_activating_twice_makes_one_account(world):
    firm, code = invited(world)
    first, second = Client(), Client()

    assert first.post(ACTIVATE, activation(firm, code)).status_code == 302
    response = second.post(ACTIVATE, activation(firm, code, username="second_login"))

    assert response.status_code == 400
    assert response.context["form"].errors["code"]
    assert User.objects.filter(enterprise=firm).count() == 1


def test_activation_attempts_share_the_sign_up_limit_per_address(client, world, settings):
    settings.PORTAL_SIGNUP_PER_IP = 1
    firm, code = invited(world)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert client.post(ACTIVATE, activation(firm, wrong)).status_code == 400

    response = client.post(ACTIVATE, activation(firm, code))

    assert response.status_code == 429
    assert not User.objects.filter(enterprise=firm).exists()


def waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_activations_at_the_same_moment_make_one_account(world):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    firm, code = invited(world)
    responses = []

    def post(username: str) -> None:
        try:
            client = Client(raise_request_exception=False)
            responses.append(client.post(ACTIVATE, activation(firm, code, username=username)))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(name,)) for name in ("login_a", "login_b")]
    # Hold the firm's row: both requests get as far as its lock, then go one after the other.
    with transaction.atomic():
        Enterprise.objects.select_for_update().get(pk=firm.pk)
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while waiting_for_a_lock() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waiting_for_a_lock() >= 2, "both requests should be waiting for the firm"
    for t in threads:
        t.join(timeout=30)

    assert sorted(r.status_code for r in responses) == [302, 400]
    assert User.objects.filter(enterprise=firm).count() == 1


def test_a_weak_password_or_too_many_ids_are_refused_by_the_forms(client, world):
    firm, code = invited(world)
    response = client.post(ACTIVATE, activation(firm, code, password1="123", password2="123"))
    assert response.status_code == 400
    assert response.context["form"].errors["password1"]

    client.force_login(world.staff)
    response = client.post(
        VERIFY, {"enterprises": [str(n) for n in range(1, 202)], "confirmed": "1"}, follow=True
    )
    assert response.redirect_chain == [(QUEUE, 302)]
    assert (
        not Enterprise.objects.filter(is_verified=True)
        .exclude(pk__in=[world.firm.pk, world.other_firm.pk])
        .exists()
    )


def test_someone_logged_in_is_not_offered_the_activation_form(client, world):
    client.force_login(world.firm_user)
    assert client.get(ACTIVATE).status_code == 302
