"""Who may grant power: the role groups of `manage.py setup_roles` (petitions/roles.py) and what each
can and cannot do in /admin/, crafted POSTs included. Only a superuser manages staff accounts, groups
and permissions."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from petitions import roles
from petitions.models import (
    CalendarOverride,
    CalendarYear,
    Enterprise,
    EnterpriseTag,
    OrgUnit,
    Petition,
    Role,
    RoutingRule,
    Theme,
    TimeLimitPolicy,
    User,
)
from supervision.models import SupervisionPolicy
from tests.factories import EnterpriseFactory, firm_user
from tests.petitions.adminforms import form_data, in_role_group

pytestmark = pytest.mark.django_db

PASSWORD = "pass-for-tests-1"


def url(model, action: str, *args: object) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{action}", args=args)


def password_url(user: User) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])


def labels(group: Group) -> set[tuple[str, str]]:
    return set(group.permissions.values_list("content_type__app_label", "codename"))


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.gov.cn", PASSWORD)


@pytest.fixture
def as_task_force(client, world):
    client.force_login(in_role_group(world.staff))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def foreign_firm_user(world):
    return firm_user(EnterpriseFactory(jurisdiction=world.other_city), username="foreign_firm")


# --- setup_roles ---------------------------------------------------------------------------------


def test_setup_roles_creates_one_group_per_role_with_exactly_the_permissions_of_the_table():
    call_command("setup_roles", stdout=StringIO())

    for spec in roles.ROLE_GROUPS.values():
        assert labels(Group.objects.get(name=spec.name)) == spec.codenames()
    assert set(roles.groups()) == {Role.TASK_FORCE, Role.LEADER, Role.SUPERVISOR, Role.HANDLER}


def test_running_setup_roles_again_changes_nothing():
    call_command("setup_roles", stdout=StringIO())
    before = {g.name: labels(g) for g in Group.objects.all()}
    out = StringIO()

    call_command("setup_roles", stdout=out)

    assert {g.name: labels(g) for g in Group.objects.all()} == before
    assert out.getvalue().count("unchanged") == len(roles.ROLE_GROUPS)
    assert "added" not in out.getvalue()


def test_setup_roles_takes_away_permissions_the_table_no_longer_lists():
    """The demo used to give the task force every permission of the app, changing users included."""
    call_command("setup_roles", stdout=StringIO())
    task_force = roles.groups()[Role.TASK_FORCE]
    task_force.permissions.add(
        *Permission.objects.filter(codename__in=["add_user", "delete_user", "change_group"])
    )
    out = StringIO()

    call_command("setup_roles", stdout=out)

    assert labels(task_force) == roles.ROLE_GROUPS[Role.TASK_FORCE].codenames()
    assert "- auth.change_group" in out.getvalue()
    assert "- petitions.add_user" in out.getvalue()


def test_no_group_holds_a_right_over_groups_permissions_or_staff_accounts():
    roles.apply()
    for role, group in roles.groups().items():
        held = labels(group)
        assert not {perm for perm in held if perm[0] == "auth"}, role
        over_users = {codename for app, codename in held if codename.endswith("_user")}
        # Only the task force touches accounts at all, and the admin limits it to firm accounts.
        assert over_users == ({"view_user", "change_user"} if role == Role.TASK_FORCE else set())


def test_setup_roles_names_a_permission_that_does_not_exist(monkeypatch):
    monkeypatch.setitem(
        roles.ROLE_GROUPS,
        Role.LEADER,
        roles.RoleGroup("领导", staff=True, permissions={"petitions.nosuchmodel": roles.VIEW}),
    )

    with pytest.raises(CommandError, match=r"petitions\.view_nosuchmodel"):
        call_command("setup_roles", stdout=StringIO())

    assert not Group.objects.exists()  # nothing half-applied


# --- the task force: its own account and staff accounts are out of reach --------------------------


def test_the_task_force_cannot_make_itself_superuser(as_task_force, world):
    own = url(User, "change", world.staff.pk)
    assert as_task_force.get(own).status_code == 404

    response = as_task_force.post(
        own,
        {
            "username": "staff",
            "is_superuser": "on",
            "is_staff": "on",
            "is_active": "on",
            "date_joined_0": "2026-01-05",
            "date_joined_1": "09:00:00",
        },
    )

    assert response.status_code == 404
    world.staff.refresh_from_db()
    assert not world.staff.is_superuser


def test_the_task_force_cannot_change_its_own_role_unit_groups_or_permissions(as_task_force, world):
    group_ids = set(world.staff.groups.values_list("pk", flat=True))

    response = as_task_force.post(
        url(User, "change", world.staff.pk),
        {
            "username": "staff",
            "role": Role.LEADER,
            "unit": world.other_city.pk,
            "groups": [g.pk for g in Group.objects.all()],
            "user_permissions": list(Permission.objects.values_list("pk", flat=True)),
            "is_active": "on",
        },
    )

    assert response.status_code == 404
    staff = User.objects.get(pk=world.staff.pk)
    assert (staff.role, staff.unit) == (Role.TASK_FORCE, world.task_force_unit)
    assert set(staff.groups.values_list("pk", flat=True)) == group_ids
    assert not staff.user_permissions.exists()


def test_the_task_force_cannot_open_the_password_form_of_the_superuser(as_task_force, root):
    assert as_task_force.get(password_url(root)).status_code == 403

    response = as_task_force.post(
        password_url(root), {"password1": "taken-over-2026", "password2": "taken-over-2026"}
    )

    assert response.status_code == 403
    root.refresh_from_db()
    assert root.check_password(PASSWORD)


def test_the_task_force_cannot_set_any_password_in_the_admin(as_task_force, world):
    for user in (world.staff, world.leader, world.firm_user):
        assert as_task_force.get(password_url(user)).status_code == 403, user


def test_the_task_force_cannot_see_staff_accounts(as_task_force, world, root):
    for user in (root, world.leader, world.supervisor, world.handler, world.foreign_staff):
        assert as_task_force.get(url(User, "change", user.pk)).status_code == 404, user


def test_the_task_force_cannot_see_or_add_groups(as_task_force, world):
    assert as_task_force.get(url(Group, "changelist")).status_code == 403
    assert as_task_force.get(url(Group, "add")).status_code == 403
    task_force = roles.groups()[Role.TASK_FORCE]
    assert as_task_force.get(url(Group, "change", task_force.pk)).status_code == 403

    response = as_task_force.post(
        url(Group, "add"),
        {"name": "全部权限", "permissions": list(Permission.objects.values_list("pk", flat=True))},
    )

    assert response.status_code == 403
    assert not Group.objects.filter(name="全部权限").exists()
    response = as_task_force.post(
        url(Group, "change", task_force.pk),
        {
            "name": task_force.name,
            "permissions": list(Permission.objects.values_list("pk", flat=True)),
        },
    )
    assert response.status_code == 403
    assert labels(task_force) == roles.ROLE_GROUPS[Role.TASK_FORCE].codenames()
    index = as_task_force.get(reverse("admin:index"))
    assert "auth" not in {app["app_label"] for app in index.context["app_list"]}


def test_rights_over_groups_and_accounts_given_by_hand_do_not_open_them(client, world, root):
    """Defence in depth: the admin itself, not only the table, keeps groups and staff to superusers."""
    staff = in_role_group(world.staff)
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="auth"),
        *Permission.objects.filter(codename__in=["add_user", "delete_user"]),
    )
    client.force_login(staff)

    assert client.get(url(Group, "changelist")).status_code == 403
    assert client.post(url(Group, "add"), {"name": "全部权限"}).status_code == 403
    assert not Group.objects.filter(name="全部权限").exists()
    assert client.get(url(User, "add")).status_code == 403
    assert client.get(url(User, "change", root.pk)).status_code == 404
    assert client.post(url(User, "delete", root.pk), {"post": "yes"}).status_code == 404
    assert client.post(url(User, "delete", world.firm_user.pk), {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk__in=[root.pk, world.firm_user.pk]).count() == 2


def test_the_task_force_cannot_add_or_delete_accounts(as_task_force, world):
    assert as_task_force.get(url(User, "add")).status_code == 403
    response = as_task_force.post(
        url(User, "add"),
        {
            "username": "helper",
            "password1": "new-account-2026",
            "password2": "new-account-2026",
            "usable_password": "true",
            "role": Role.TASK_FORCE,
            "unit": world.task_force_unit.pk,
        },
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="helper").exists()

    response = as_task_force.post(url(User, "delete", world.firm_user.pk), {"post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(pk=world.firm_user.pk).exists()


# --- the task force: firm accounts of its jurisdiction --------------------------------------------


def test_the_task_force_lists_only_the_firm_accounts_of_its_jurisdiction(
    as_task_force, world, foreign_firm_user
):
    response = as_task_force.get(url(User, "changelist"))

    assert response.status_code == 200
    assert set(response.context["cl"].result_list) == {
        world.firm_user,
        world.colleague,
        world.other_firm_user,
    }
    assert "is_staff" not in response.context["cl"].list_display
    assert "is_superuser" not in str(response.context["cl"].list_filter)
    assert as_task_force.get(url(User, "change", foreign_firm_user.pk)).status_code == 404


def test_a_firm_account_shows_no_admin_rights_and_only_safe_fields_are_editable(
    as_task_force, world
):
    page = as_task_force.get(url(User, "change", world.firm_user.pk))

    assert page.status_code == 200
    assert set(page.context["adminform"].form.fields) == {"first_name", "last_name", "is_active"}
    for hidden in ("is_superuser", "is_staff", "user_permissions", "groups", "password"):
        assert f'name="{hidden}"' not in page.text


def test_the_task_force_may_deactivate_a_firm_account_of_its_jurisdiction(as_task_force, world):
    page = as_task_force.get(url(User, "change", world.firm_user.pk))

    response = as_task_force.post(page.wsgi_request.path, form_data(page, is_active=None))

    assert response.status_code == 302
    world.firm_user.refresh_from_db()
    assert not world.firm_user.is_active


def test_a_crafted_post_on_a_firm_account_changes_only_the_safe_fields(as_task_force, world):
    page = as_task_force.get(url(User, "change", world.firm_user.pk))
    data = form_data(
        page,
        first_name="王",
        is_superuser="on",
        is_staff="on",
        role=Role.TASK_FORCE,
        unit=world.task_force_unit.pk,
        enterprise=world.other_firm.pk,
        email="taken-over@example.com",
        groups=[roles.groups()[Role.TASK_FORCE].pk],
        user_permissions=list(Permission.objects.values_list("pk", flat=True)),
        password="md5$x$y",
    )

    response = as_task_force.post(page.wsgi_request.path, data)

    assert response.status_code == 302
    user = User.objects.get(pk=world.firm_user.pk)
    assert user.first_name == "王"
    assert not user.is_superuser
    assert not user.is_staff
    assert (user.role, user.unit, user.enterprise) == (Role.ENTERPRISE, None, world.firm)
    assert user.email == world.firm_user.email
    assert not user.groups.exists()
    assert not user.user_permissions.exists()
    assert user.check_password(PASSWORD)


# --- the task force: reference data and the org tree ----------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        TimeLimitPolicy,
        RoutingRule,
        Theme,
        EnterpriseTag,
        SupervisionPolicy,
        Enterprise,
        Petition,
    ],
    ids=lambda m: m._meta.model_name,
)
def test_the_task_force_may_add_reference_data_firms_and_petitions(as_task_force, model):
    assert as_task_force.get(url(model, "changelist")).status_code == 200
    assert as_task_force.get(url(model, "add")).status_code == 200


def test_the_task_force_may_change_a_time_limit_of_its_city(as_task_force, world):
    policy = TimeLimitPolicy.objects.create(
        jurisdiction=world.city, rule="contact", amount=1, unit="working_days"
    )
    page = as_task_force.get(url(TimeLimitPolicy, "change", policy.pk))

    response = as_task_force.post(page.wsgi_request.path, form_data(page, amount=2))

    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.amount == 2


# --- the task force: only the reference data and firms of its own jurisdiction -------------------


@pytest.fixture
def default_limit(db):
    return TimeLimitPolicy.objects.get(rule="contact", jurisdiction=None)


@pytest.fixture
def foreign_rows(world):
    """Another city's own time limit, routing rule and supervision policy."""
    return [
        TimeLimitPolicy.objects.create(
            jurisdiction=world.other_city, rule="contact", amount=3, unit="working_days"
        ),
        RoutingRule.objects.create(
            jurisdiction=world.other_city, theme=world.theme, unit=world.foreign_dept
        ),
        SupervisionPolicy.objects.create(jurisdiction=world.other_city, sweep_day=20),
    ]


def test_the_task_force_reads_a_default_time_limit_but_cannot_change_or_delete_it(
    as_task_force, default_limit
):
    page = as_task_force.get(url(TimeLimitPolicy, "change", default_limit.pk))
    assert page.status_code == 200
    assert not page.context["adminform"].form.fields  # view only

    change = as_task_force.post(
        page.wsgi_request.path, {"rule": "contact", "amount": 9, "unit": "days"}
    )
    delete = as_task_force.post(url(TimeLimitPolicy, "delete", default_limit.pk), {"post": "yes"})

    assert (change.status_code, delete.status_code) == (403, 403)
    default_limit.refresh_from_db()
    assert (default_limit.amount, default_limit.unit) == (1, "working_days")


def test_a_crafted_list_edit_cannot_change_a_default_time_limit(as_task_force, default_limit):
    as_task_force.post(
        url(TimeLimitPolicy, "changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(default_limit.pk),
            "form-0-amount": "9",
            "form-0-unit": "days",
            "_save": "Save",
        },
    )

    default_limit.refresh_from_db()
    assert (default_limit.amount, default_limit.unit) == (1, "working_days")


def test_a_bulk_delete_cannot_remove_a_default_time_limit(as_task_force, default_limit):
    as_task_force.post(
        url(TimeLimitPolicy, "changelist"),
        {"action": "delete_selected", "_selected_action": [default_limit.pk], "post": "yes"},
    )

    assert TimeLimitPolicy.objects.filter(pk=default_limit.pk).exists()


def test_the_task_force_cannot_change_the_default_supervision_policy(as_task_force):
    policy = SupervisionPolicy.objects.get(jurisdiction=None)
    page = as_task_force.get(url(SupervisionPolicy, "change", policy.pk))
    assert page.status_code == 200

    response = as_task_force.post(page.wsgi_request.path, {"sweep_day": 5})

    assert response.status_code == 403
    policy.refresh_from_db()
    assert policy.sweep_day == 25


def test_the_task_force_neither_sees_nor_changes_another_citys_reference_data(
    as_task_force, foreign_rows
):
    for row in foreign_rows:
        model = type(row)
        listed = as_task_force.get(url(model, "changelist")).context["cl"].result_list
        assert row not in listed
        assert as_task_force.get(url(model, "change", row.pk)).status_code == 404
        assert as_task_force.post(url(model, "change", row.pk), {}).status_code == 404
        assert as_task_force.post(url(model, "delete", row.pk), {"post": "yes"}).status_code == 404
        assert model.objects.filter(pk=row.pk).exists()
    foreign_rows[0].refresh_from_db()
    assert foreign_rows[0].amount == 3


def test_the_task_force_adds_time_limits_only_for_its_own_jurisdictions(as_task_force, world):
    page = as_task_force.get(url(TimeLimitPolicy, "add"))
    offered = set(page.context["adminform"].form.fields["jurisdiction"].queryset)
    assert world.city in offered
    assert world.district in offered
    assert world.other_city not in offered

    row = {"rule": "contact", "amount": 2, "unit": "working_days"}
    foreign = as_task_force.post(
        url(TimeLimitPolicy, "add"), {**row, "jurisdiction": world.other_city.pk}
    )
    default = as_task_force.post(url(TimeLimitPolicy, "add"), {**row, "jurisdiction": ""})
    own = as_task_force.post(url(TimeLimitPolicy, "add"), {**row, "jurisdiction": world.city.pk})

    assert foreign.status_code == default.status_code == 200
    assert "jurisdiction" in foreign.context["adminform"].form.errors
    assert "jurisdiction" in default.context["adminform"].form.errors
    assert own.status_code == 302
    assert list(
        TimeLimitPolicy.objects.filter(rule="contact").values_list("jurisdiction", flat=True)
    ) in ([None, world.city.pk], [world.city.pk, None])


def test_the_task_force_cannot_add_a_routing_rule_for_another_city(as_task_force, world):
    response = as_task_force.post(
        url(RoutingRule, "add"),
        {"jurisdiction": world.other_city.pk, "theme": world.theme.pk, "unit": world.dept.pk},
    )

    assert response.status_code == 200
    assert "jurisdiction" in response.context["adminform"].form.errors
    assert not RoutingRule.objects.exists()


def test_the_task_force_routes_petitions_only_to_units_of_its_own_jurisdictions(
    as_task_force, world
):
    page = as_task_force.get(url(RoutingRule, "add"))
    offered = set(page.context["adminform"].form.fields["unit"].queryset)
    assert world.dept in offered
    assert world.district_dept in offered
    assert world.foreign_dept not in offered

    rule = {"jurisdiction": world.city.pk, "theme": world.theme.pk}
    foreign_lead = as_task_force.post(
        url(RoutingRule, "add"), {**rule, "unit": world.foreign_dept.pk}
    )
    foreign_co = as_task_force.post(
        url(RoutingRule, "add"),
        {**rule, "unit": world.dept.pk, "co_units": [world.foreign_dept.pk]},
    )

    assert "unit" in foreign_lead.context["adminform"].form.errors
    assert "co_units" in foreign_co.context["adminform"].form.errors
    assert not RoutingRule.objects.exists()


def test_the_task_force_cannot_move_one_of_its_firms_to_another_jurisdiction(as_task_force, world):
    page = as_task_force.get(url(Enterprise, "change", world.firm.pk))
    offered = set(page.context["adminform"].form.fields["jurisdiction"].queryset)
    assert world.other_city not in offered
    assert world.city in offered

    response = as_task_force.post(
        page.wsgi_request.path, form_data(page, jurisdiction=world.other_city.pk)
    )

    assert response.status_code == 200
    assert "jurisdiction" in response.context["adminform"].form.errors
    world.firm.refresh_from_db()
    assert world.firm.jurisdiction == world.city


def test_the_task_force_keeps_the_calendar_and_history_names_who_changed_it(as_task_force, world):
    """The State Council's schedule is the same for every city: the task force enters it (the
    estimate notice asks it to, and it confirms years), and the history says who did (docs/decisions.md D38)."""
    added = as_task_force.post(
        url(CalendarOverride, "add"), {"date": "2027-10-09", "is_working_day": "on", "note": "调休"}
    )

    assert added.status_code == 302
    override = CalendarOverride.objects.get(note="调休")
    assert override.history.get().history_user == world.staff
    assert (
        as_task_force.post(
            url(CalendarOverride, "delete", override.pk), {"post": "yes"}
        ).status_code
        == 302
    )


def test_a_superuser_changes_the_defaults_and_the_calendar(client, root, default_limit):
    client.force_login(root)
    page = client.get(url(TimeLimitPolicy, "change", default_limit.pk))
    changed = client.post(page.wsgi_request.path, form_data(page, amount=2))
    added = client.post(
        url(CalendarOverride, "add"), {"date": "2027-10-09", "is_working_day": "on", "note": "调休"}
    )

    assert (changed.status_code, added.status_code) == (302, 302)
    default_limit.refresh_from_db()
    assert default_limit.amount == 2
    assert CalendarOverride.objects.filter(note="调休").exists()


def test_the_task_force_reads_the_org_tree_but_cannot_move_its_own_unit(as_task_force, world):
    unit = world.task_force_unit
    assert as_task_force.get(url(OrgUnit, "changelist")).status_code == 200
    assert as_task_force.get(url(OrgUnit, "add")).status_code == 403
    page = as_task_force.get(url(OrgUnit, "change", unit.pk))
    assert page.status_code == 200
    assert not page.context["adminform"].form.fields  # view only

    response = as_task_force.post(
        page.wsgi_request.path,
        {"name": unit.name, "kind": unit.kind, "parent": world.other_city.pk, "is_active": "on"},
    )

    assert response.status_code == 403
    unit.refresh_from_db()
    assert unit.parent == world.city


# --- leaders and the supervision office read -------------------------------------------------------


@pytest.fixture(params=["leader", "supervisor"])
def as_reader(request, client, world):
    client.force_login(in_role_group(getattr(world, request.param)))
    return client


@pytest.mark.parametrize(
    "model", [Petition, TimeLimitPolicy, Enterprise, SupervisionPolicy, CalendarYear, OrgUnit]
)
def test_leaders_and_supervisors_read_petitions_and_reference_data(as_reader, model):
    assert as_reader.get(url(model, "changelist")).status_code == 200
    assert as_reader.get(url(model, "add")).status_code == 403


def test_leaders_and_supervisors_cannot_change_a_time_limit(as_reader):
    policy = TimeLimitPolicy.objects.get(rule="contact", jurisdiction=None)
    page = as_reader.get(url(TimeLimitPolicy, "change", policy.pk))
    assert page.status_code == 200

    response = as_reader.post(
        page.wsgi_request.path, {"rule": "contact", "amount": 9, "unit": "days"}
    )

    assert response.status_code == 403
    policy.refresh_from_db()
    assert policy.amount == 1


def test_leaders_and_supervisors_cannot_see_accounts_or_groups(as_reader, world, root):
    assert as_reader.get(url(User, "changelist")).status_code == 403
    assert as_reader.get(url(User, "change", world.firm_user.pk)).status_code == 403
    assert as_reader.get(password_url(root)).status_code == 403
    assert as_reader.get(url(Group, "changelist")).status_code == 403
    response = as_reader.post(url(Group, "add"), {"name": "全部权限"})
    assert response.status_code == 403
    assert not Group.objects.filter(name="全部权限").exists()


# --- department handlers and the superuser --------------------------------------------------------


def test_a_department_handler_has_no_admin_rights(client, world):
    handler = in_role_group(world.handler)

    assert not handler.is_staff
    assert handler.get_all_permissions() == set()
    client.force_login(handler)
    assert client.get(reverse("admin:index")).status_code == 302  # to the admin's login


def test_a_superuser_manages_staff_accounts_and_groups(client, world, root):
    client.force_login(root)
    assert client.get(password_url(world.staff)).status_code == 200
    assert client.get(url(Group, "changelist")).status_code == 200
    page = client.get(url(User, "change", world.staff.pk))
    assert "is_superuser" in page.context["adminform"].form.fields

    response = client.post(
        page.wsgi_request.path, form_data(page, role=Role.LEADER, unit=world.leaders_unit.pk)
    )

    assert response.status_code == 302
    world.staff.refresh_from_db()
    assert (world.staff.role, world.staff.unit) == (Role.LEADER, world.leaders_unit)
