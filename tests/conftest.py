import os
from dataclasses import dataclass

import pytest

from petitions.models import Enterprise, OrgUnit, Role, Theme, UnitKind, User
from tests.factories import EnterpriseFactory, OrgUnitFactory, firm_user, member

# Playwright's sync API runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _empties_the_tables(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    transactional = bool(
        marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))
    )
    return transactional or bool({"transactional_db", "live_server"} & set(item.fixturenames))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection_modifyitems(items):
    """Transactional tests last, as Django orders them, after pytest-randomly has shuffled.

    A transactional test empties every table when it ends, the rows the migrations seed (themes,
    permissions) included; its serialized rollback restores them only at the start of the next
    transactional test. pytest-django sorts them last, but pytest-randomly's shuffle wraps that
    sort; this wrapper is registered later, so it runs outside the shuffle. The sort is stable: the
    random order stays within each group.
    """
    result = yield
    items.sort(key=_empties_the_tables)
    return result


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """Share the serialized test data across connections, so that browser tests (which run in another
    context with fresh connection objects) can restore it with serialized_rollback."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents is not None:
            type(connection)._test_serialized_contents = contents


def reset_celery_connections() -> None:
    """Drop Celery's cached broker connections, so a changed broker_url takes effect."""
    from kombu import pools

    from zqztc.celery import app

    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()  # kombu keeps its own registry of connection and producer pools
    app._local.__dict__.pop("backend", None)  # the result backend is cached per thread


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _sms_outbox():
    """Each test starts with an empty in-memory SMS outbox and backends built from its settings."""
    from notices import sms
    from notices.sms import locmem

    locmem.outbox.clear()
    sms.clear_cache()
    yield
    sms.clear_cache()


@dataclass
class World:
    """One city with a district; in each, the people of every role, and firms (docs/conventions.md C9: owner, member, outsider)."""

    city: OrgUnit
    district: OrgUnit
    other_city: OrgUnit
    task_force_unit: OrgUnit
    leaders_unit: OrgUnit
    supervision_unit: OrgUnit
    dept: OrgUnit
    other_dept: OrgUnit
    district_dept: OrgUnit
    foreign_dept: OrgUnit
    staff: User
    leader: User
    supervisor: User
    handler: User
    other_handler: User
    district_gov_handler: User
    district_handler: User
    foreign_staff: User
    firm: Enterprise
    firm_user: User
    colleague: User
    other_firm: Enterprise
    other_firm_user: User
    theme: Theme


@pytest.fixture
def world(db) -> World:
    city = OrgUnitFactory(name="汕头市", kind=UnitKind.CITY)
    district = OrgUnitFactory(name="龙湖区", kind=UnitKind.DISTRICT, parent=city)
    other_city = OrgUnitFactory(name="河源市", kind=UnitKind.CITY)
    task_force_unit = OrgUnitFactory(
        name="市政企直通车工作专班", kind=UnitKind.TASK_FORCE, parent=city
    )
    leaders_unit = OrgUnitFactory(name="市政府领导", kind=UnitKind.LEADERSHIP, parent=city)
    supervision_unit = OrgUnitFactory(name="市政府督查室", kind=UnitKind.SUPERVISION, parent=city)
    dept = OrgUnitFactory(name="市工业和信息化局", parent=city)
    other_dept = OrgUnitFactory(name="市自然资源局", parent=city)
    district_dept = OrgUnitFactory(name="龙湖区市场监管局", parent=district)
    foreign_dept = OrgUnitFactory(name="河源市工信局", parent=other_city)
    foreign_tf = OrgUnitFactory(name="河源市工作专班", kind=UnitKind.TASK_FORCE, parent=other_city)
    firm = EnterpriseFactory(jurisdiction=city)
    other_firm = EnterpriseFactory(jurisdiction=city)
    return World(
        city=city,
        district=district,
        other_city=other_city,
        task_force_unit=task_force_unit,
        leaders_unit=leaders_unit,
        supervision_unit=supervision_unit,
        dept=dept,
        other_dept=other_dept,
        district_dept=district_dept,
        foreign_dept=foreign_dept,
        staff=member(task_force_unit, Role.TASK_FORCE, username="staff"),
        leader=member(leaders_unit, Role.LEADER, username="leader"),
        supervisor=member(supervision_unit, Role.SUPERVISOR, username="supervisor"),
        handler=member(dept, Role.HANDLER, username="handler"),
        other_handler=member(other_dept, Role.HANDLER, username="other_handler"),
        district_gov_handler=member(district, Role.HANDLER, username="district_gov"),
        district_handler=member(district_dept, Role.HANDLER, username="district_handler"),
        foreign_staff=member(foreign_tf, Role.TASK_FORCE, username="foreign_staff"),
        firm=firm,
        firm_user=firm_user(firm, username="firm"),
        colleague=firm_user(firm, username="colleague"),
        other_firm=other_firm,
        other_firm_user=firm_user(other_firm, username="other_firm"),
        theme=Theme.objects.get(code="financing"),
    )


@dataclass
class Levels:
    """The world's district with its own task force and leader, and a functional zone without any."""

    district_tf_unit: OrgUnit
    district_staff: User
    district_leader: User
    district_dept2: OrgUnit
    zone: OrgUnit
    zone_dept: OrgUnit
    stationed: OrgUnit


@pytest.fixture
def levels(world) -> Levels:
    district_tf_unit = OrgUnitFactory(
        name="龙湖区政企直通车工作专班", kind=UnitKind.TASK_FORCE, parent=world.district
    )
    district_leaders = OrgUnitFactory(
        name="龙湖区政府领导", kind=UnitKind.LEADERSHIP, parent=world.district
    )
    zone = OrgUnitFactory(name="汕头高新区", kind=UnitKind.ZONE, parent=world.city)
    return Levels(
        district_tf_unit=district_tf_unit,
        district_staff=member(district_tf_unit, Role.TASK_FORCE, username="district_staff"),
        district_leader=member(district_leaders, Role.LEADER, username="district_leader"),
        district_dept2=OrgUnitFactory(name="龙湖区自然资源分局", parent=world.district),
        zone=zone,
        zone_dept=OrgUnitFactory(name="高新区经济发展局", parent=zone),
        stationed=OrgUnitFactory(
            name="国家税务总局汕头市税务局", parent=world.city, is_stationed=True
        ),
    )
