"""Verifying firms through petitions/verification.py (docs/rules.md §2; issue 12 §6): the batch, the
refusal, the invitation with its activation code, the activation, and a refused firm asking again.
Each action records who and when, keeps the firm's history and tells the firm in its transaction."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from notices.models import Channel, Delivery, OneTimeCode, Status
from petitions import verification
from petitions.exceptions import WorkflowError
from petitions.models import Enterprise, Notification, OrgUnit, Role, UnitKind, User
from tests.factories import EnterpriseFactory, firm_user, make_uscc, member

pytestmark = pytest.mark.django_db

PASSWORD = "Kx8-dianli-2026"


def pending_firm(world, *, jurisdiction=None, account=True, **fields) -> Enterprise:
    """A firm waiting for verification; its one account shares the firm's e-mail (one e-mail each)."""
    firm = EnterpriseFactory(jurisdiction=jurisdiction or world.city, is_verified=False, **fields)
    if account:
        firm_user(firm, email=firm.email)
    return firm


def imported_firm(world, **fields) -> Enterprise:
    """A firm the task force imported: no account yet."""
    return pending_firm(world, account=False, **fields)


def deliveries(firm, kind) -> dict[str, list[Delivery]]:
    rows: dict[str, list[Delivery]] = {}
    for row in Delivery.objects.filter(enterprise=firm, kind=kind).order_by("pk"):
        rows.setdefault(row.channel, []).append(row)
    return rows


def sms_code(firm) -> str:
    """The activation code as the firm reads it in the invitation SMS (the latest one)."""
    row = Delivery.objects.filter(
        enterprise=firm, kind="firm.invitation", channel=Channel.SMS
    ).first()
    return re.search(r"(?<!\d)\d{6}(?!\d)", row.body).group()


def nothing_written(firm) -> None:
    firm.refresh_from_db()
    assert not firm.is_verified
    assert (firm.verified_at, firm.refused_at, firm.invited_at) == (None, None, None)
    assert not Delivery.objects.filter(enterprise=firm).exists()
    assert not OneTimeCode.objects.filter(enterprise=firm).exists()


# --- verify -------------------------------------------------------------------------------------------


def test_verifying_records_who_and_when_keeps_the_history_and_tells_the_firm_once(world):
    firm = pending_firm(world)
    before = timezone.now()

    [result] = verification.verify(enterprise_ids=[firm.pk], actor=world.staff)

    assert (result.ok, result.name) == (True, firm.name)
    firm.refresh_from_db()
    assert firm.is_verified
    assert firm.verified_by == world.staff
    assert firm.verified_at >= before
    latest = firm.history.latest()
    assert (latest.is_verified, latest.history_user) == (True, world.staff)
    account = firm.accounts.get()
    assert Notification.objects.filter(user=account, kind="firm.verified").count() == 1
    rows = deliveries(firm, "firm.verified")
    assert [r.status for r in rows[Channel.SMS]] == [Status.PENDING]
    assert [r.status for r in rows[Channel.EMAIL]] == [Status.PENDING]
    assert rows[Channel.EMAIL][0].address == firm.email
    assert firm.name in rows[Channel.SMS][0].body


def test_a_batch_verifies_the_own_firms_and_refuses_every_other_id_on_its_own(world):
    mine, also_mine = pending_firm(world), pending_firm(world, jurisdiction=world.district)
    already = EnterpriseFactory(jurisdiction=world.city, is_verified=True)
    foreign = pending_firm(world, jurisdiction=world.other_city)
    missing = Enterprise.objects.order_by("-pk").first().pk + 100

    results = verification.verify(
        enterprise_ids=[mine.pk, foreign.pk, already.pk, missing, also_mine.pk, mine.pk],
        actor=world.staff,
    )

    assert [(r.enterprise_id, r.ok) for r in results] == [
        (mine.pk, True),
        (foreign.pk, False),
        (already.pk, False),
        (missing, False),
        (also_mine.pk, True),  # the city's task force verifies its districts' firms too
    ]
    # Another jurisdiction's firm is not named, nor told apart from one that does not exist.
    assert results[1].name == ""
    assert str(foreign.pk) in results[1].message
    assert foreign.name not in results[1].message
    assert results[3].message.replace(str(missing), "") == results[1].message.replace(
        str(foreign.pk), ""
    )
    assert already.name in results[2].message
    nothing_written(foreign)
    assert Enterprise.objects.filter(pk__in=[mine.pk, also_mine.pk], is_verified=True).count() == 2
    assert not Delivery.objects.filter(enterprise=already).exists()


def test_verifying_again_refuses_and_tells_nobody_twice(world):
    firm = pending_firm(world)
    verification.verify(enterprise_ids=[firm.pk], actor=world.staff)
    count = Delivery.objects.count()

    [again] = verification.verify(enterprise_ids=[firm.pk], actor=world.staff)

    assert not again.ok
    assert Delivery.objects.count() == count
    assert Notification.objects.filter(kind="firm.verified").count() == 1


def test_a_district_task_force_may_not_verify_the_citys_firms(world):
    district_tf = OrgUnit.objects.create(
        name="龙湖区工作专班", kind=UnitKind.TASK_FORCE, parent=world.district
    )
    staff = member(district_tf, Role.TASK_FORCE, username="district_staff")
    city_firm, district_firm = pending_firm(world), pending_firm(world, jurisdiction=world.district)

    results = verification.verify(enterprise_ids=[city_firm.pk, district_firm.pk], actor=staff)

    assert [r.ok for r in results] == [False, True]
    nothing_written(city_firm)


@pytest.mark.parametrize("who", ["handler", "leader", "supervisor", "firm_user"])
def test_only_the_task_force_verifies(world, who):
    firm = pending_firm(world)
    with pytest.raises(PermissionDenied):
        verification.verify(enterprise_ids=[firm.pk], actor=getattr(world, who))
    nothing_written(firm)


def test_an_empty_batch_is_refused(world):
    with pytest.raises(WorkflowError) as error:
        verification.verify(enterprise_ids=[], actor=world.staff)
    assert error.value.code == "empty"


# --- refuse --------------------------------------------------------------------------------------------


def test_refusing_keeps_the_reason_and_who_and_tells_the_firm_why(world):
    firm = pending_firm(world)

    verification.refuse(
        enterprise_id=firm.pk, actor=world.staff, reason="  信用代码与营业执照不符，请核对。 "
    )

    firm.refresh_from_db()
    assert not firm.is_verified
    assert firm.refusal_reason == "信用代码与营业执照不符，请核对。"
    assert firm.refused_by == world.staff
    assert firm.refused_at is not None
    assert firm.history.latest().history_user == world.staff
    account = firm.accounts.get()
    assert Notification.objects.filter(user=account, kind="firm.verification_refused").count() == 1
    rows = deliveries(firm, "firm.verification_refused")
    assert len(rows[Channel.SMS]) == 1
    assert "信用代码与营业执照不符" in rows[Channel.SMS][0].body
    assert [r.status for r in rows[Channel.EMAIL]] == [Status.PENDING]
    # A refused firm has left the queue: it waits for the firm.
    assert firm not in verification.queue(world.staff, "pending")
    assert firm in verification.queue(world.staff, "refused")


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_refusal_needs_a_reason(world, reason):
    firm = pending_firm(world)
    with pytest.raises(WorkflowError) as error:
        verification.refuse(enterprise_id=firm.pk, actor=world.staff, reason=reason)
    assert error.value.code == "required"
    nothing_written(firm)


def test_a_verified_or_already_refused_firm_cannot_be_refused(world):
    verified = EnterpriseFactory(jurisdiction=world.city, is_verified=True)
    with pytest.raises(WorkflowError) as error:
        verification.refuse(enterprise_id=verified.pk, actor=world.staff, reason="资料不全")
    assert error.value.code == "already_verified"

    firm = pending_firm(world)
    verification.refuse(enterprise_id=firm.pk, actor=world.staff, reason="资料不全")
    with pytest.raises(WorkflowError) as error:
        verification.refuse(enterprise_id=firm.pk, actor=world.staff, reason="另一个理由")
    assert error.value.code == "already_refused"
    firm.refresh_from_db()
    assert firm.refusal_reason == "资料不全"


@pytest.mark.parametrize("who", ["foreign_staff", "handler", "leader", "firm_user"])
def test_only_the_firms_own_task_force_refuses(world, who):
    firm = pending_firm(world)
    with pytest.raises(PermissionDenied):
        verification.refuse(enterprise_id=firm.pk, actor=getattr(world, who), reason="资料不全")
    nothing_written(firm)


def test_the_task_force_may_still_verify_a_refused_firm(world):
    firm = pending_firm(world)
    verification.refuse(enterprise_id=firm.pk, actor=world.staff, reason="资料不全")

    [result] = verification.verify(enterprise_ids=[firm.pk], actor=world.staff)

    firm.refresh_from_db()
    assert result.ok
    assert firm.is_verified
    assert (firm.refused_at, firm.refusal_reason) == (None, "")
    assert firm.history.filter(refusal_reason="资料不全").exists()  # the refusal stays on record


# --- a refused firm corrects its details --------------------------------------------------------------


def details(world, **changes):
    data = {
        "uscc": make_uscc(4242),
        "name": "汕头更正科技有限公司",
        "jurisdiction": world.district,
        "contact_name": "李明",
        "contact_phone": "13923456789",
        "email": "liming@example.com",
    }
    return data | changes


def test_a_refused_firm_corrects_its_details_and_is_back_in_the_queue(world):
    firm = pending_firm(world)
    verification.refuse(enterprise_id=firm.pk, actor=world.staff, reason="名称与执照不符")
    account = firm.accounts.get()

    verification.correct_details(enterprise_id=firm.pk, actor=account, **details(world))

    firm.refresh_from_db()
    assert (firm.name, firm.uscc, firm.jurisdiction) == (
        "汕头更正科技有限公司",
        make_uscc(4242),
        world.district,
    )
    assert firm.contact_phone.as_e164 == "+8613923456789"
    assert (firm.refused_at, firm.refusal_reason) == (None, "")
    assert firm in verification.queue(world.staff, "pending")
    assert firm.history.latest().history_user == account
    assert firm.history.filter(refusal_reason="名称与执照不符").exists()


def test_only_the_firms_own_account_corrects_it_and_only_before_verification(world):
    firm = pending_firm(world)
    for stranger in (world.other_firm_user, world.staff):
        with pytest.raises(PermissionDenied):
            verification.correct_details(enterprise_id=firm.pk, actor=stranger, **details(world))
    firm.refresh_from_db()
    assert firm.name != "汕头更正科技有限公司"

    with pytest.raises(WorkflowError) as error:
        verification.correct_details(
            enterprise_id=world.firm.pk, actor=world.firm_user, **details(world)
        )
    assert error.value.code == "already_verified"


def test_a_correction_may_not_take_another_firms_credit_code_nor_a_department(world):
    firm = pending_firm(world)
    account = firm.accounts.get()
    with pytest.raises(WorkflowError) as error:
        verification.correct_details(
            enterprise_id=firm.pk, actor=account, **details(world, uscc=world.other_firm.uscc)
        )
    assert error.value.code == "uscc_taken"
    assert world.other_firm.name not in error.value.messages[0]
    with pytest.raises(WorkflowError) as error:
        verification.correct_details(
            enterprise_id=firm.pk, actor=account, **details(world, jurisdiction=world.dept)
        )
    assert error.value.code == "bad_jurisdiction"


# --- invite and activate ---------------------------------------------------------------------------------


def test_inviting_an_imported_firm_sends_a_hashed_code_by_sms_and_email(world):
    firm = imported_firm(world)

    verification.invite(enterprise_id=firm.pk, actor=world.staff)

    firm.refresh_from_db()
    assert (firm.invited_by, firm.is_verified) == (world.staff, False)
    assert firm.history.latest().history_user == world.staff
    row = OneTimeCode.objects.get(enterprise=firm)
    code = sms_code(firm)
    assert row.purpose == OneTimeCode.Purpose.ACTIVATION
    assert row.phone == "+8613800138000"
    assert code not in row.code_hash  # never in clear
    assert row.code_hash == verification.code_hash(firm.pk, code)
    assert row.expires_at - timezone.now() > timedelta(days=6)
    rows = deliveries(firm, "firm.invitation")
    assert [r.status for r in rows[Channel.SMS]] == [Status.PENDING]
    assert [r.address for r in rows[Channel.EMAIL]] == [firm.email]
    assert "/portal/activate/" in rows[Channel.EMAIL][0].body
    assert code in rows[Channel.EMAIL][0].body
    assert Channel.INAPP not in rows  # no account, no portal inbox


def test_a_firm_with_an_account_or_a_refusal_is_not_invited(world):
    with pytest.raises(WorkflowError) as error:
        verification.invite(enterprise_id=world.firm.pk, actor=world.staff)
    assert error.value.code == "has_account"

    firm = imported_firm(world)
    verification.refuse(enterprise_id=firm.pk, actor=world.staff, reason="已注销")
    with pytest.raises(WorkflowError) as error:
        verification.invite(enterprise_id=firm.pk, actor=world.staff)
    assert error.value.code == "refused"
    assert not OneTimeCode.objects.exists()


@pytest.mark.parametrize("who", ["foreign_staff", "handler", "leader", "supervisor"])
def test_only_the_firms_own_task_force_invites(world, who):
    firm = imported_firm(world)
    with pytest.raises(PermissionDenied):
        verification.invite(enterprise_id=firm.pk, actor=getattr(world, who))
    nothing_written(firm)


def test_a_new_invitation_waits_ten_minutes_and_then_replaces_the_code(world, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    firm = imported_firm(world)
    verification.invite(enterprise_id=firm.pk, actor=world.staff)
    old = sms_code(firm)

    time_machine.shift(timedelta(minutes=9))
    with pytest.raises(WorkflowError) as error:
        verification.invite(enterprise_id=firm.pk, actor=world.staff)
    assert error.value.code == "too_soon"
    assert OneTimeCode.objects.filter(enterprise=firm).count() == 1

    time_machine.shift(timedelta(minutes=2))
    verification.invite(enterprise_id=firm.pk, actor=world.staff)
    new = OneTimeCode.objects.filter(enterprise=firm).latest("pk")
    assert OneTimeCode.objects.filter(enterprise=firm).count() == 2
    assert new.code_hash == verification.code_hash(firm.pk, sms_code(firm))

    if old != sms_code(firm):  # one chance in a million that the two codes are the same
        with pytest.raises(WorkflowError) as error:
            activate(firm, code=old)
        assert error.value.code == "replaced"
        assert new.failed_attempts == 0


def activate(firm, **changes):
    data = {
        "uscc": firm.uscc.lower(),
        "phone": "138 0013 8000",
        "code": None,
        "username": "invited_firm",
        "password": PASSWORD,
    } | changes
    if data["code"] is None:
        data["code"] = sms_code(firm)
    return verification.activate(**data)


def test_activation_opens_the_account_verifies_the_firm_and_uses_the_code_up(world):
    firm = imported_firm(world)
    verification.invite(enterprise_id=firm.pk, actor=world.staff)

    user = activate(firm)

    assert (user.username, user.role, user.enterprise) == ("invited_firm", Role.ENTERPRISE, firm)
    assert user.check_password(PASSWORD)
    assert user.mobile.as_e164 == "+8613800138000"
    firm.refresh_from_db()
    assert firm.is_verified
    assert firm.verified_by == world.staff  # the task force vouched for it by inviting it
    assert firm.history.latest().history_user == user
    assert OneTimeCode.objects.get(enterprise=firm).used_at is not None
    assert Notification.objects.filter(user=user, kind="firm.verified").count() == 1
    rows = deliveries(firm, "firm.verified")
    assert [r.status for r in rows[Channel.SMS]] == [Status.PENDING]
    assert len(rows[Channel.EMAIL]) == 1


def test_a_used_code_is_refused_and_makes_no_second_account(world):
    firm = imported_firm(world)
    verification.invite(enterprise_id=firm.pk, actor=world.staff)
    activate(firm)

    with pytest.raises(WorkflowError) as error:
        activate(firm, username="second_try")

    assert error.value.code == "used"
    assert User.objects.filter(enterprise=firm).count() == 1


def test_an_expired_code_is_refused(world, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    firm = imported_firm(world)
    verification.invite(enterprise_id=firm.pk, actor=world.staff)
    time_machine.shift(verification.ACTIVATION_VALID + timedelta(seconds=1))

    with pytest.raises(WorkflowError) as error:
        activate(firm)

    assert error.value.code == "expired"
    firm.refresh_from_db()
    assert not firm.is_verified
    assert not User.objects.filter(enterprise=firm).exists()


def test_wrong_codes_are_counted_and_the_fifth_locks_the_invitation(world):
    firm = imported_firm(world)
    verification.invite(enterprise_id=firm.pk, actor=world.staff)
    right = sms_code(firm)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    codes = []
    for _attempt in range(5):
        with pytest.raises(WorkflowError) as error:
            activate(firm, code=wrong)
        codes.append((error.value.code, error.value.messages[0]))

    assert [c for c, _ in codes] == ["wrong_code"] * 4 + ["locked"]
    tries_left = _("The activation code is not right; %(n)d tries left.")
    assert [m for _, m in codes[:4]] == [tries_left % {"n": n} for n in (4, 3, 2, 1)]
    # The count survives the refusal (the failed attempt is committed, not rolled back).
    assert OneTimeCode.objects.get(enterprise=firm).failed_attempts == 5
    with pytest.raises(WorkflowError) as error:
        activate(firm, code=right)
    assert error.value.code == "locked"
    assert not User.objects.filter(enterprise=firm).exists()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"phone": "13900000000"}, "no_invitation"),
        ({"uscc": make_uscc(999_999)}, "no_invitation"),
        ({"phone": "not a phone"}, "no_invitation"),
    ],
)
def test_a_wrong_credit_code_or_phone_finds_no_invitation(world, changes, code):
    firm = imported_firm(world)
    verification.invite(enterprise_id=firm.pk, actor=world.staff)
    with pytest.raises(WorkflowError) as error:
        activate(firm, **changes)
    assert error.value.code == code
    assert OneTimeCode.objects.get(enterprise=firm).failed_attempts == 0


def test_a_taken_login_name_keeps_the_code_for_the_next_try(world):
    firm = imported_firm(world)
    verification.invite(enterprise_id=firm.pk, actor=world.staff)

    with pytest.raises(WorkflowError) as error:
        activate(firm, username=world.firm_user.username.upper())

    assert error.value.code == "username_taken"
    row = OneTimeCode.objects.get(enterprise=firm)
    assert (row.used_at, row.failed_attempts) == (None, 0)
    assert activate(firm).enterprise == firm


# --- reads ---------------------------------------------------------------------------------------------


def test_the_pending_page_phone_is_the_task_forces_then_the_jurisdictions(world):
    firm = pending_firm(world)
    assert verification.task_force_phone(firm) is None
    OrgUnit.objects.filter(pk=world.city.pk).update(contact_phone="+8675488888888")
    assert verification.task_force_phone(firm).as_e164 == "+8675488888888"
    OrgUnit.objects.filter(pk=world.task_force_unit.pk).update(contact_phone="+8675412345678")
    assert verification.task_force_phone(firm).as_e164 == "+8675412345678"


def test_the_queue_counts_every_tab_in_one_query_after_the_jurisdictions(
    world, django_assert_num_queries
):
    pending_firm(world)
    imported_firm(world)
    refused = pending_firm(world)
    verification.refuse(enterprise_id=refused.pk, actor=world.staff, reason="资料不全")
    pending_firm(world, jurisdiction=world.other_city)  # another city's: not counted

    # Two for the jurisdictions below the unit (the district, then its none), one for the counts.
    with django_assert_num_queries(3):
        counts = verification.tab_counts(world.staff)

    assert counts == {"pending": 2, "refused": 1, "no_account": 1}


def test_a_batch_larger_than_the_limit_is_refused_whole(world):
    firm = pending_firm(world)
    with pytest.raises(WorkflowError) as error:
        verification.verify(
            enterprise_ids=[firm.pk, *range(10**6, 10**6 + verification.MAX_BATCH)],
            actor=world.staff,
        )
    assert error.value.code == "too_many"
    firm.refresh_from_db()
    assert not firm.is_verified


def test_a_firm_without_a_usable_phone_is_not_invited(world):
    firm = imported_firm(world)
    Enterprise.objects.filter(pk=firm.pk).update(contact_phone="")
    with pytest.raises(WorkflowError) as error:
        verification.invite(enterprise_id=firm.pk, actor=world.staff)
    assert error.value.code == "no_phone"
    assert not OneTimeCode.objects.exists()


@pytest.mark.parametrize("who", ["leader", "handler", "firm_user"])
def test_no_one_but_the_task_force_sees_the_queue(world, who):
    pending_firm(world)
    assert not verification.firms_for(getattr(world, who)).exists()
