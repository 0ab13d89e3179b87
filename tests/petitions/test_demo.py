"""The demo data of `make run` (petitions/demo/, the `load_demo` command, fixtures/demo.json)."""

from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from petitions import access, levels, roles, workflow
from petitions.models import (
    JURISDICTION_KINDS,
    ContactRecord,
    Deadline,
    Enterprise,
    Evaluation,
    Extension,
    LevelMove,
    LevelTransfer,
    OrgUnit,
    Petition,
    PetitionEvent,
    PetitionReturn,
    ProgressReport,
    Reply,
    ReturnDecision,
    ReturnReason,
    Role,
    RoutingRule,
    State,
    Theme,
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


def test_every_verified_firm_has_petitions_and_some_firms_are_in_each_district_and_zone(demo):
    assert not Enterprise.objects.filter(is_verified=True, petitions__isnull=True).exists()
    for level in OrgUnit.objects.filter(kind__in=(UnitKind.DISTRICT, UnitKind.ZONE)):
        assert level.enterprises.filter(is_verified=True).exists(), level.name


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
        ("longhu_zhuanban", Role.TASK_FORCE, "汕头市龙湖区政企直通车工作专班"),
        ("longhu_lingdao", Role.LEADER, "汕头市龙湖区人民政府领导"),
        ("longhu_ducha", Role.SUPERVISOR, "汕头市龙湖区人民政府督查室"),
        ("longhu_scjg", Role.HANDLER, "汕头市龙湖区市场监督管理局"),
        ("jinping_zhuanban", Role.TASK_FORCE, "汕头市金平区政企直通车工作专班"),
        ("jinping_lingdao", Role.LEADER, "汕头市金平区人民政府领导"),
        ("jinping_zjj", Role.HANDLER, "汕头市金平区住房和城乡建设局"),
        ("gaoxin_zhuanban", Role.TASK_FORCE, "汕头高新区政企直通车工作专班"),
        ("gaoxin_lingdao", Role.LEADER, "汕头高新区管委会领导"),
        ("gaoxin_ducha", Role.SUPERVISOR, "汕头高新区管委会党政办公室"),
        ("renhang", Role.HANDLER, "中国人民银行汕头市分行"),
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


# --- every level runs the mechanism itself (docs/rules.md §1) -----------------------------------------

LEVELS = {
    "汕头市": (UnitKind.CITY, ""),
    "龙湖区": (UnitKind.DISTRICT, "LH"),
    "金平区": (UnitKind.DISTRICT, "JP"),
    "汕头高新技术产业开发区": (UnitKind.ZONE, "GX"),
}


def _level(name: str) -> OrgUnit:
    return OrgUnit.objects.get(name=name, kind__in=JURISDICTION_KINDS)


def test_the_demo_has_one_city_two_districts_and_one_zone_with_their_number_prefixes(demo):
    found = {
        unit.name: (unit.kind, unit.number_prefix)
        for unit in OrgUnit.objects.filter(kind__in=JURISDICTION_KINDS)
    }
    assert found == LEVELS
    city = _level("汕头市")
    assert set(levels.children_of(city).values_list("name", flat=True)) == set(LEVELS) - {"汕头市"}


@pytest.mark.parametrize("name", list(LEVELS))
def test_each_level_has_its_own_task_force_leader_supervision_and_departments(demo, name):
    level = _level(name)
    active = User.objects.filter(is_active=True, unit__parent=level)
    assert active.filter(role=Role.TASK_FORCE, unit__kind=UnitKind.TASK_FORCE).exists()
    assert active.filter(role=Role.LEADER, unit__kind=UnitKind.LEADERSHIP).exists()
    assert active.filter(role=Role.SUPERVISOR, unit__kind=UnitKind.SUPERVISION).exists()
    # Runs itself: no parent stands in for it.
    assert levels.run_by(level) == level
    departments = OrgUnit.objects.filter(parent=level, kind=UnitKind.DEPARTMENT, is_active=True)
    assert departments.count() >= 2
    # Every department can act: it has a handler.
    assert not departments.exclude(members__role=Role.HANDLER, members__is_active=True).exists()


def test_the_city_leads_with_the_units_stationed_there(demo):
    city = _level("汕头市")
    stationed = OrgUnit.objects.filter(is_stationed=True)
    assert set(stationed.values_list("name", flat=True)) == {
        "国家税务总局汕头市税务局",
        "广东电网有限责任公司汕头供电局",
        "中国人民银行汕头市分行",
    }
    assert set(stationed.values_list("parent", flat=True)) == {city.pk}
    assert set(levels.lead_units(city).filter(is_stationed=True)) == set(stationed)
    assert not stationed.exclude(members__role=Role.HANDLER).exists()


def test_a_districts_units_cannot_lead_another_levels_cases(demo):
    city, longhu, jinping = _level("汕头市"), _level("龙湖区"), _level("金平区")
    longhu_dept = OrgUnit.objects.get(name="汕头市龙湖区市场监督管理局")
    assert longhu_dept in levels.lead_units(longhu)
    assert longhu_dept not in levels.lead_units(jinping)
    assert longhu_dept not in levels.lead_units(city)
    # …but co-handles a city case (a cross-level matter).
    assert longhu_dept in levels.co_units(city)
    assert longhu_dept not in levels.co_units(jinping)


@pytest.mark.parametrize("name", list(LEVELS))
def test_each_level_has_a_full_routing_catalogue_of_units_it_may_assign(demo, name):
    level = _level(name)
    rules = RoutingRule.objects.filter(jurisdiction=level).select_related("unit", "theme")
    themes = set(Theme.objects.filter(is_active=True).values_list("code", flat=True))
    assert {rule.theme.code for rule in rules} == themes
    leads = set(levels.lead_units(level))
    co_ok = set(levels.co_units(level))
    for rule in rules:
        assert rule.unit in leads, rule
        assert set(rule.co_units.all()) <= co_ok, rule
        # Each level's own departments, never the city's for a lower level.
        assert rule.unit.parent_id == level.pk, rule


# A sensible lead at each level for the themes the issue names (用地, 融资, 审批, 拖欠账款).
EXPECTED_LEADS = {
    "汕头市": {
        "land": "汕头市自然资源局",
        "financing": "汕头市地方金融管理局",
        "approval": "汕头市政务服务和数据管理局",
        "arrears": "汕头市工业和信息化局",
    },
    "龙湖区": {
        "land": "汕头市自然资源局龙湖分局",
        "financing": "汕头市龙湖区工业和信息化局",
        "approval": "汕头市龙湖区政务服务数据管理局",
        "arrears": "汕头市龙湖区工业和信息化局",
    },
    "金平区": {
        "land": "汕头市自然资源局金平分局",
        "financing": "汕头市金平区工业和信息化局",
        "approval": "汕头市金平区政务服务数据管理局",
        "arrears": "汕头市金平区工业和信息化局",
    },
    "汕头高新技术产业开发区": {
        "land": "汕头市自然资源局高新区分局",
        "financing": "汕头高新区经济发展局",
        "approval": "汕头高新区行政审批局",
        "arrears": "汕头高新区经济发展局",
    },
}


@pytest.mark.parametrize("name", list(EXPECTED_LEADS))
def test_the_catalogue_proposes_a_sensible_lead_for_the_main_themes(demo, name):
    found = dict(
        RoutingRule.objects.filter(
            jurisdiction=_level(name), theme__code__in=EXPECTED_LEADS[name]
        ).values_list("theme__code", "unit__name")
    )
    assert found == EXPECTED_LEADS[name]


def test_the_demo_proposals_are_counted_in_the_catalogue(demo):
    assert RoutingRule.objects.filter(times_proposed__gt=0).exists()
    assert RoutingRule.objects.filter(times_overridden__gt=0).exists()


@pytest.mark.parametrize("name", ["龙湖区", "金平区", "汕头高新技术产业开发区"])
def test_each_lower_level_numbers_its_petitions_in_its_own_series(demo, name):
    level = _level(name)
    series = Petition.objects.filter(number__startswith=f"ZQ{level.number_prefix}2")
    assert series.exists()
    # Its firms' petitions, wherever they went afterwards.
    assert set(series.values_list("enterprise__jurisdiction", flat=True)) == {level.pk}
    assert (
        not Petition.objects.filter(enterprise__jurisdiction=level).exclude(pk__in=series).exists()
    )


def test_each_level_acts_on_its_own_cases_only(demo):
    """Every task-force step was taken by the level that ran the case at the time: its own level,
    or the level it left by a transfer (docs/rules.md §1)."""
    moved = {
        t.petition_id: {t.from_jurisdiction_id, t.to_jurisdiction_id}
        for t in LevelTransfer.objects.all()
    }
    events = PetitionEvent.objects.filter(actor__role=Role.TASK_FORCE).select_related(
        "actor__unit", "petition"
    )
    assert events.exists()
    for event in events:
        allowed = moved.get(event.petition_id, {event.petition.jurisdiction_id})
        assert event.actor.unit.parent_id in allowed, (event.petition.number, event.action)


def test_every_assigned_unit_may_lead_or_co_handle_at_its_petitions_level(demo):
    petitions = Petition.objects.filter(lead_unit__isnull=False).select_related("jurisdiction")
    assert petitions.exists()
    for petition in petitions:
        level = petition.jurisdiction
        assert levels.lead_units(level).filter(pk=petition.lead_unit_id).exists(), petition.number
        co = set(petition.co_units.values_list("pk", flat=True))
        assert co <= set(levels.co_units(level).values_list("pk", flat=True)), petition.number


def test_approvals_go_to_the_leader_of_the_petitions_level(demo):
    petitions = Petition.objects.filter(approval_leader__isnull=False).select_related(
        "approval_leader__unit", "jurisdiction"
    )
    assert {p.jurisdiction.kind for p in petitions} >= {UnitKind.CITY}
    for petition in petitions:
        assert petition.approval_leader.unit.parent_id == petition.jurisdiction_id


def test_a_district_case_is_passed_up_and_the_city_assigns_it_to_a_stationed_unit(demo):
    longhu, city = _level("龙湖区"), _level("汕头市")
    move = LevelTransfer.objects.get(direction=LevelMove.UP)
    petition = move.petition
    assert (move.from_jurisdiction, move.to_jurisdiction) == (longhu, city)
    assert move.actor.username == "longhu_zhuanban"
    assert move.reason
    assert petition.number.startswith("ZQLH")
    assert petition.jurisdiction == city
    assert petition.lead_unit.is_stationed
    co = list(petition.co_units.all())
    assert [unit.parent for unit in co] == [longhu]
    assert petition.state == State.REPLIED
    # The district triaged it first; the city triaged it again after it came up.
    accepts = list(
        petition.events.filter(action="accept").values_list("actor__username", flat=True)
    )
    assert accepts == ["longhu_zhuanban", "zhuanban"]
    assert petition.replies.filter(unit=co[0], kind="opinion").exists()


def test_the_district_reads_the_case_it_passed_up_but_no_longer_acts_on_it(demo):
    petition = LevelTransfer.objects.get(direction=LevelMove.UP).petition
    district_staff = User.objects.get(username="longhu_zhuanban")
    assert Petition.objects.visible_to(district_staff).filter(pk=petition.pk).exists()
    assert not access.task_force_acts_on(district_staff, petition)
    assert access.task_force_acts_on(User.objects.get(username="zhuanban"), petition)
    # Another district neither reads nor acts on it.
    other = User.objects.get(username="jinping_zhuanban")
    assert not Petition.objects.visible_to(other).filter(pk=petition.pk).exists()
    assert not access.task_force_acts_on(other, petition)


def test_a_city_case_is_handed_down_and_handled_by_the_district(demo):
    city, jinping = _level("汕头市"), _level("金平区")
    move = LevelTransfer.objects.get(direction=LevelMove.DOWN)
    petition = move.petition
    assert (move.from_jurisdiction, move.to_jurisdiction) == (city, jinping)
    assert move.actor.username == "zhuanban"
    assert petition.jurisdiction == jinping
    assert petition.enterprise.jurisdiction == city
    assert petition.lead_unit.parent == jinping
    assert petition.state == State.IN_PROGRESS
    after = petition.events.filter(created_at__gt=move.created_at, actor__role=Role.TASK_FORCE)
    assert set(after.values_list("actor__username", flat=True)) == {"jinping_zhuanban"}
    assert not access.task_force_acts_on(User.objects.get(username="zhuanban"), petition)


def test_a_wrong_remit_return_names_the_competent_unit_and_is_upheld(demo):
    upheld = PetitionReturn.objects.filter(
        reason_code=ReturnReason.NOT_OUR_REMIT, decision=ReturnDecision.UPHELD
    ).select_related("petition", "unit", "suggested_unit")
    assert {r.petition.jurisdiction.kind for r in upheld} == {UnitKind.CITY, UnitKind.ZONE}
    for record in upheld:
        # Reassigned to the unit it named, not back to the one that returned it.
        assert record.petition.lead_unit == record.suggested_unit
        assert record.unit != record.suggested_unit
        assert record.decided_by.unit.parent_id == record.petition.jurisdiction_id
        assert record.reason


def test_another_level_is_refused_on_a_districts_waiting_case(demo):
    """A registered 龙湖区 case: only 龙湖区's task force may triage it."""
    petition = Petition.objects.filter(
        jurisdiction=_level("龙湖区"), state=State.REGISTERED
    ).first()
    assert petition is not None
    for username in ("zhuanban", "jinping_zhuanban", "gaoxin_zhuanban"):
        with pytest.raises(PermissionDenied):
            workflow.accept(petition_id=petition.pk, actor=User.objects.get(username=username))
    petition.refresh_from_db()
    assert petition.state == State.REGISTERED


def test_the_output_groups_the_accounts_by_jurisdiction(demo):
    order = [
        demo.index("— 汕头市"),
        demo.index("zhuanban "),
        demo.index("— 龙湖区"),
        demo.index("longhu_zhuanban"),
        demo.index("— 金平区"),
        demo.index("jinping_zhuanban"),
        demo.index("— 汕头高新技术产业开发区"),
        demo.index("gaoxin_zhuanban"),
    ]
    assert order == sorted(order)
    assert "ZQLH" in demo
