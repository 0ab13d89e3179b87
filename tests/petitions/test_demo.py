"""The demo data of `make run` (petitions/demo/, the `load_demo` command, fixtures/demo.json)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from petitions import roles
from petitions.models import (
    ContactRecord,
    Deadline,
    Enterprise,
    Evaluation,
    Extension,
    OrgUnit,
    Petition,
    PetitionEvent,
    PetitionReturn,
    ProgressReport,
    Reply,
    Role,
    State,
    UnitKind,
    User,
)
from petitions.validators import validate_cn_phone, validate_uscc

pytestmark = pytest.mark.django_db

PASSWORD = "zqztc-demo-2026"
NOT_PRODUCTION = "--i-know-this-is-not-production"
MODELS = [
    OrgUnit,
    Enterprise,
    User,
    Petition,
    PetitionEvent,
    Deadline,
    ContactRecord,
    ProgressReport,
    Extension,
    PetitionReturn,
    Reply,
    Evaluation,
]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Load the demo once for the module, inside a transaction that is rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("load_demo", NOT_PRODUCTION, stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def test_the_demo_has_about_a_hundred_petitions(demo):
    assert 90 <= Petition.objects.count() <= 110


def test_every_state_is_present(demo):
    present = set(Petition.objects.values_list("state", flat=True))
    assert present == set(State.values)


def test_every_petition_has_a_timeline(demo):
    assert not Petition.objects.filter(events__isnull=True).exists()


def test_nothing_happened_in_the_future(demo):
    now = timezone.now()
    assert not PetitionEvent.objects.filter(created_at__gt=now).exists()
    assert not Petition.objects.filter(received_at__gt=now).exists()


def test_some_open_petitions_are_overdue_today_and_some_are_not(demo):
    today = timezone.localdate()
    assert Petition.objects.overdue(today).exists()
    assert Petition.objects.open().filter(due_on__gte=today).exists()


def test_rejected_petitions_carry_a_reason_code_and_an_explanation(demo):
    rejected = Petition.objects.exclude(reject_reason="")
    assert rejected.exists()
    assert not rejected.filter(reject_explanation="").exists()


def test_thirty_verified_firms_and_three_in_the_queue_each_with_a_valid_credit_code(demo):
    codes = list(Enterprise.objects.values_list("uscc", flat=True))
    assert len(codes) == 33
    for code in codes:
        validate_uscc(code)
    queue = Enterprise.objects.filter(is_verified=False)
    assert queue.count() == 3
    assert queue.filter(refused_at__isnull=False, refusal_reason__gt="").count() == 1
    assert queue.filter(accounts__isnull=True, invited_at__isnull=False).count() == 1


def test_every_verified_firm_has_petitions_and_some_firms_are_in_each_district(demo):
    assert not Enterprise.objects.filter(is_verified=True, petitions__isnull=True).exists()
    for district in OrgUnit.objects.filter(kind=UnitKind.DISTRICT):
        assert district.enterprises.exists()


def test_every_phone_number_is_a_valid_chinese_number(demo):
    phones = [
        *Enterprise.objects.values_list("contact_phone", flat=True),
        *OrgUnit.objects.exclude(kind=UnitKind.CITY).values_list("contact_phone", flat=True),
        *User.objects.exclude(role="").values_list("mobile", flat=True),
    ]
    assert all(phones)
    for phone in phones:
        validate_cn_phone(phone)


@pytest.mark.parametrize(
    ("username", "role", "unit"),
    [
        ("zhuanban", Role.TASK_FORCE, "汕头市政企直通车工作专班"),
        ("lingdao", Role.LEADER, "汕头市人民政府领导"),
        ("ducha", Role.SUPERVISOR, "汕头市人民政府督查室"),
        ("gongxin", Role.HANDLER, "汕头市工业和信息化局"),
        ("ziranziyuan", Role.HANDLER, "汕头市自然资源局"),
        ("longhu", Role.HANDLER, "龙湖区"),
    ],
)
def test_each_official_role_has_its_demo_account(demo, username, role, unit):
    user = User.objects.get(username=username)
    assert (user.role, user.unit.name) == (role, unit)
    assert user.check_password(PASSWORD)
    assert user.is_staff == (role in (Role.TASK_FORCE, Role.LEADER, Role.SUPERVISOR))


def test_the_enterprise_account_belongs_to_the_first_firm_and_has_petitions(demo):
    user = User.objects.get(username="qiye")
    assert user.role == Role.ENTERPRISE
    assert user.enterprise.name == "汕头市潮韵玩具实业有限公司"
    assert Petition.objects.visible_to(user).count() >= 5


def test_admin_is_a_superuser(demo):
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.check_password(PASSWORD)


def test_the_task_force_may_use_the_admin_for_petitions(demo):
    staff = User.objects.get(username="zhuanban")
    assert staff.has_perm("petitions.change_petition")
    assert User.objects.get(username="lingdao").has_perm("petitions.view_petition")


def test_the_demo_groups_are_the_roles_of_setup_roles(demo):
    for role, spec in roles.ROLE_GROUPS.items():
        group = roles.groups()[role]
        held = set(group.permissions.values_list("content_type__app_label", "codename"))
        assert held == spec.codenames(), role
    zhuanban = User.objects.get(username="zhuanban")
    assert zhuanban.groups.get().name == "工作专班"
    for perm in ("petitions.add_user", "petitions.delete_user", "auth.change_group"):
        assert not zhuanban.has_perm(perm), perm
    assert not User.objects.get(username="lingdao").has_perm("petitions.view_user")


def test_the_demo_refuses_to_load_when_debug_is_off(demo, settings):
    settings.DEBUG = False
    before = User.objects.count()

    with pytest.raises(CommandError, match="--i-know-this-is-not-production"):
        call_command("load_demo", stdout=StringIO())

    assert User.objects.count() == before


def test_the_demo_runs_when_debug_is_on(demo, settings):
    """`make run` writes DEBUG=1 into its .env."""
    settings.DEBUG = True
    out = StringIO()

    call_command("load_demo", stdout=out)

    assert "already loaded" in out.getvalue()


def test_the_output_lists_the_accounts_and_the_states(demo):
    assert PASSWORD in demo
    assert "zhuanban" in demo
    for state in State.values:
        assert state in demo


def test_loading_again_changes_nothing(demo):
    before = {model: model.objects.count() for model in MODELS}
    out = StringIO()
    call_command("load_demo", NOT_PRODUCTION, stdout=out)
    assert {model: model.objects.count() for model in MODELS} == before
    assert "already loaded" in out.getvalue()
