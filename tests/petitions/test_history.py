"""Who changed the rules, firms and accounts (petitions/history.py, petitions/admin/history.py): each
change in the admin is recorded with its author and listed on the object's "History" page, which
shows only what the reader may see and never reverts."""

import pytest
from django.urls import reverse

from petitions.models import CalendarYear, Enterprise, Role, RoutingRule, TimeLimitPolicy, User
from supervision.models import SupervisionPolicy
from tests.factories import EnterpriseFactory, firm_user
from tests.petitions.adminforms import form_data, in_role_group

pytestmark = pytest.mark.django_db

PASSWORD = "pass-for-tests-1"


def url(model, action: str, *args: object) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{action}", args=args)


def version_url(obj, record) -> str:
    opts = obj._meta
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=[obj.pk, record.pk]
    )


def change_in_admin(client, obj, **changes):
    page = client.get(url(type(obj), "change", obj.pk))
    assert page.status_code == 200
    response = client.post(page.wsgi_request.path, form_data(page, **changes))
    assert response.status_code == 302, response.context and response.context["errors"]
    obj.refresh_from_db()
    return obj


def listed_on_history_page(client, obj, user: User) -> bool:
    page = client.get(url(type(obj), "history", obj.pk))
    assert page.status_code == 200
    return user.username in page.text


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.gov.cn", PASSWORD)


@pytest.fixture
def task_force(client, world):
    client.force_login(in_role_group(world.staff))
    return client


@pytest.fixture
def policy(db):
    return TimeLimitPolicy.objects.get(rule="contact", jurisdiction=None)


# --- who did it ----------------------------------------------------------------------------------


def test_changing_a_time_limit_in_the_admin_records_who_did_it(task_force, world):
    # The task force changes its own city's rows; the default row is a superuser's.
    policy = TimeLimitPolicy.objects.create(
        jurisdiction=world.city, rule="contact", amount=1, unit="working_days"
    )

    change_in_admin(task_force, policy, amount=2)

    latest = policy.history.latest()
    assert (latest.amount, latest.history_type, latest.history_user) == (2, "~", world.staff)
    assert listed_on_history_page(task_force, policy, world.staff)


def test_changing_an_enterprise_in_the_admin_records_who_did_it(task_force, world):
    firm = EnterpriseFactory(jurisdiction=world.city, is_verified=False)

    # Verification is the queue's (petitions/verification.py): the admin's flag is read-only.
    change_in_admin(task_force, firm, contact_name="王经理", is_verified="on")

    assert not firm.is_verified
    latest = firm.history.latest()
    assert (latest.contact_name, latest.history_user) == ("王经理", world.staff)
    assert firm.history.earliest().contact_name == "张经理"
    assert listed_on_history_page(task_force, firm, world.staff)


def test_changing_a_users_role_in_the_admin_records_who_did_it(client, world, root):
    client.force_login(root)

    change_in_admin(client, world.handler, role=Role.LEADER, unit=world.leaders_unit.pk)

    latest = world.handler.history.latest()
    assert (latest.role, latest.unit_id, latest.history_user) == (
        Role.LEADER,
        world.leaders_unit.pk,
        root,
    )
    assert listed_on_history_page(client, world.handler, root)


def test_adding_someone_to_a_group_or_making_them_superuser_is_recorded(client, world, root):
    client.force_login(root)
    group = in_role_group(world.staff).groups.get()

    change_in_admin(client, world.leader, groups=[str(group.pk)], is_superuser="on")

    latest = world.leader.history.latest()
    assert latest.is_superuser
    assert latest.history_user == root
    assert [row.group for row in latest.groups.all()] == [group]
    assert not world.leader.history.earliest().is_superuser


def test_changing_a_supervision_policy_in_the_admin_records_who_did_it(task_force, world):
    policy = SupervisionPolicy.objects.create(jurisdiction=world.city)

    change_in_admin(task_force, policy, sweep_day=20)

    latest = policy.history.latest()
    assert (latest.sweep_day, latest.history_user) == (20, world.staff)
    assert listed_on_history_page(task_force, policy, world.staff)


def test_changing_the_co_units_of_a_routing_rule_is_recorded(task_force, world):
    rule = RoutingRule.objects.create(jurisdiction=world.city, theme=world.theme, unit=world.dept)

    change_in_admin(task_force, rule, co_units=[str(world.other_dept.pk)])

    latest = rule.history.latest()
    assert latest.history_user == world.staff
    assert [row.orgunit for row in latest.co_units.all()] == [world.other_dept]


def test_confirming_a_calendar_year_in_the_admin_records_who_did_it(client, root):
    # The national calendar applies to every city: a superuser confirms it.
    client.force_login(root)
    response = client.post(url(CalendarYear, "add"), {"year": 2031, "source": "国办发明电"})

    assert response.status_code == 302
    year = CalendarYear.objects.get(year=2031)
    assert year.history.get().history_user == root
    assert listed_on_history_page(client, year, root)


def test_signing_in_adds_no_history_row(client, world):
    before = world.handler.history.count()

    assert client.login(username=world.handler.username, password=PASSWORD)

    world.handler.refresh_from_db()
    assert world.handler.last_login is not None
    assert world.handler.history.count() == before


def test_a_password_is_never_copied_into_the_history(world):
    assert "password" not in {f.name for f in User.history.model._meta.fields}
    assert "last_login" not in {f.name for f in User.history.model._meta.fields}


# --- what the history pages show, and to whom -----------------------------------------------------


def test_the_task_force_cannot_read_the_history_of_accounts_and_firms_it_cannot_see(
    task_force, world, root
):
    foreign_firm = EnterpriseFactory(jurisdiction=world.other_city)
    foreign_account = firm_user(foreign_firm, username="foreign_firm")

    for obj in (root, world.leader, foreign_account, foreign_firm):
        assert task_force.get(url(type(obj), "history", obj.pk)).status_code == 404, obj
        record = obj.history.latest()
        assert task_force.get(version_url(obj, record)).status_code == 404, obj
    assert task_force.get(url(User, "history", world.firm_user.pk)).status_code == 200


def test_a_malformed_id_on_the_history_pages_is_not_found(client, root, policy):
    client.force_login(root)

    assert client.get(url(TimeLimitPolicy, "history", "abc")).status_code == 404
    assert client.get(f"{url(TimeLimitPolicy, 'history', policy.pk)}abc/").status_code == 404


@pytest.mark.parametrize("who", ["leader", "supervisor", "staff"])
def test_nobody_can_revert_a_rule_from_its_history(client, world, policy, who):
    """simple-history saves a POST to a past version even for readers; that page is read-only here."""
    client.force_login(in_role_group(getattr(world, who)))
    policy.amount = 3
    policy.save()
    first = policy.history.latest()
    policy.amount = 5
    policy.save()
    version = version_url(policy, first)
    assert client.get(version).status_code == 200

    response = client.post(version, {"rule": "contact", "amount": 1, "unit": "working_days"})

    assert response.status_code == 403
    policy.refresh_from_db()
    assert policy.amount == 5


def test_not_even_a_superuser_reverts_an_enterprise_from_its_history(client, world, root):
    client.force_login(root)
    first = world.firm.history.latest()
    world.firm.is_verified = False
    world.firm.save()

    response = client.post(version_url(world.firm, first), {})

    assert response.status_code == 403
    assert not Enterprise.objects.get(pk=world.firm.pk).is_verified
