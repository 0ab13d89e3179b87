"""A system check (and the organisation units' admin list, for a superuser) warns about the roles a
jurisdiction lacks; the admin edits whether a unit is stationed here and a level's number prefix
(docs/rules.md §1)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.checks import Warning, run_checks
from django.core.management import call_command
from django.db import ProgrammingError
from django.forms.models import model_to_dict
from django.urls import reverse

from petitions import checks, staffing
from petitions.models import OrgUnit, Role, UnitKind, User
from tests.factories import OrgUnitFactory, member

pytestmark = pytest.mark.django_db

LEVEL_IDS = {
    staffing.NO_TASK_FORCE,
    staffing.NO_LEADER,
    staffing.NO_DEPARTMENT,
    staffing.NO_SUPERVISION,
}


def found(jurisdiction: OrgUnit) -> dict[str, str]:
    """The check's warnings about one jurisdiction: id → message."""
    gaps = [g for g in staffing.gaps() if g.jurisdiction.pk == jurisdiction.pk]
    assert len({g.id for g in gaps}) == len(gaps)  # one warning per missing role
    return {g.id: g.message for g in gaps}


def deactivate(user: User) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])


# --- what the check finds ---------------------------------------------------------------------------


def test_a_fully_staffed_city_is_not_warned_about(world):
    assert found(world.city) == {}


def test_a_district_without_a_task_force_is_run_by_the_city_and_the_warning_says_so(world):
    gaps = found(world.district)
    assert "汕头市" in gaps[staffing.NO_TASK_FORCE]
    assert "龙湖区" in gaps[staffing.NO_TASK_FORCE]
    # Its leader is missing too; the city's leaders may approve its petitions meanwhile.
    assert "汕头市" in gaps[staffing.NO_LEADER]
    # It has a department with a handler, and leaves supervision to the city's office.
    assert set(gaps) == {staffing.NO_TASK_FORCE, staffing.NO_LEADER}


def test_a_district_with_its_own_task_force_and_leader_is_not_warned_about(world, levels):
    assert found(world.district) == {}


def test_a_zone_without_task_force_leader_or_handler_gets_each_warning(world, levels):
    gaps = found(levels.zone)
    assert set(gaps) == {staffing.NO_TASK_FORCE, staffing.NO_LEADER, staffing.NO_DEPARTMENT}
    assert levels.zone.name in gaps[staffing.NO_DEPARTMENT]
    assert "汕头市" in gaps[staffing.NO_TASK_FORCE]


def test_an_inactive_account_does_not_count(world, levels):
    deactivate(levels.district_staff)
    deactivate(world.district_handler)
    gaps = found(world.district)
    assert set(gaps) == {staffing.NO_TASK_FORCE, staffing.NO_DEPARTMENT}
    assert "汕头市" in gaps[staffing.NO_TASK_FORCE]


def test_a_handler_in_an_inactive_department_does_not_count(world):
    world.district_dept.is_active = False
    world.district_dept.save(update_fields=["is_active"])
    assert staffing.NO_DEPARTMENT in found(world.district)


def test_a_task_force_of_another_city_does_not_stand_in(world):
    city = OrgUnitFactory(name="揭阳市", kind=UnitKind.CITY)
    district = OrgUnitFactory(name="榕城区", kind=UnitKind.DISTRICT, parent=city)
    gaps = found(district)
    # Nobody runs it: neither the district nor its city has a task force; 汕头市's does not count.
    assert "汕头市" not in gaps[staffing.NO_TASK_FORCE]
    assert "榕城区" in gaps[staffing.NO_TASK_FORCE]
    assert set(found(city)) == LEVEL_IDS
    assert set(gaps) == LEVEL_IDS  # no supervision account here or above


def test_another_city_with_a_task_force_only_lacks_the_other_roles(world):
    assert set(found(world.other_city)) == {
        staffing.NO_LEADER,
        staffing.NO_DEPARTMENT,
        staffing.NO_SUPERVISION,
    }


def test_a_supervision_office_of_its_own_with_nobody_in_it_is_warned_about(world, levels):
    office = OrgUnitFactory(
        name="龙湖区政府督查室", kind=UnitKind.SUPERVISION, parent=world.district
    )
    gaps = found(world.district)
    assert set(gaps) == {staffing.NO_SUPERVISION}
    assert office.name in gaps[staffing.NO_SUPERVISION]
    member(office, Role.SUPERVISOR, username="district_supervisor")
    assert found(world.district) == {}


def test_an_inactive_jurisdiction_is_not_warned_about(world):
    world.district.is_active = False
    world.district.save(update_fields=["is_active"])
    assert found(world.district) == {}


# --- the system check ------------------------------------------------------------------------------


def test_the_check_warns_only_when_asked_for_the_database(world):
    plain = [m for m in run_checks() if m.id in LEVEL_IDS]
    assert plain == []  # `check` and `runserver` never read the database
    with_db = [m for m in run_checks(databases=["default"]) if m.id in LEVEL_IDS]
    about_district = [m for m in with_db if "龙湖区" in m.msg]
    assert {m.id for m in about_district} == {staffing.NO_TASK_FORCE, staffing.NO_LEADER}
    assert all(type(m) is Warning and not m.is_serious() for m in with_db)
    assert all(m.hint for m in with_db)


def test_check_database_default_prints_the_warnings_and_passes(world):
    out, err = StringIO(), StringIO()
    call_command("check", "--database", "default", stdout=out, stderr=err)
    text = out.getvalue() + err.getvalue()
    assert "petitions.W010" in text
    assert "龙湖区" in text


def test_an_unmigrated_database_says_nothing_and_leaves_the_transaction_usable(world, monkeypatch):
    def no_tables():
        OrgUnit.objects.raw("SELECT * FROM no_such_table")[0]  # the error the database gives
        raise AssertionError("unreachable")

    monkeypatch.setattr(staffing, "gaps", no_tables)
    assert checks.jurisdictions_have_every_role(databases=["default"]) == []
    assert OrgUnit.objects.filter(pk=world.city.pk).exists()  # the savepoint was rolled back


def test_the_unmigrated_path_catches_the_database_error_only(monkeypatch):
    def broken():
        raise ProgrammingError("relation does not exist")

    monkeypatch.setattr(staffing, "gaps", broken)
    assert checks.jurisdictions_have_every_role(databases=["default"]) == []
    monkeypatch.setattr(staffing, "gaps", lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        checks.jurisdictions_have_every_role(databases=["default"])


# --- the admin ---------------------------------------------------------------------------------------

CHANGELIST = "admin:petitions_orgunit_changelist"


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.gov.cn", "x")


def warnings_shown(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_superuser_sees_the_warnings_on_the_units_list(client, world, levels, root):
    client.force_login(root)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    shown = warnings_shown(response)
    expected = [g.message for g in staffing.gaps()]
    assert expected  # the zone lacks roles
    assert shown == expected
    assert any(levels.zone.name in m and "汕头市" in m for m in shown)
    assert not any("龙湖区" in m for m in shown)  # the district is fully staffed


def test_the_task_force_reads_the_units_list_without_the_warnings(client, world, levels):
    staff = world.staff
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    staff.user_permissions.set(Permission.objects.filter(codename="view_orgunit"))
    client.force_login(staff)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert warnings_shown(response) == []


def test_the_units_list_shows_and_filters_stationed_units_and_prefixes(client, world, levels, root):
    world.district.number_prefix = "LH"
    world.district.save(update_fields=["number_prefix"])
    client.force_login(root)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "column-is_stationed" in page
    assert "column-number_prefix" in page
    assert ">LH<" in page
    stationed = client.get(reverse(CHANGELIST), {"is_stationed__exact": "1"})
    names = [u.name for u in stationed.context["cl"].result_list]
    assert names == [levels.stationed.name]
    by_prefix = client.get(reverse(CHANGELIST), {"q": "LH"})
    assert [u.name for u in by_prefix.context["cl"].result_list] == ["龙湖区"]


def form_data(unit: OrgUnit, **changes) -> dict:
    data = {k: v for k, v in model_to_dict(unit).items() if v is not None}
    data["contact_phone"] = ""
    data.update(changes)
    for flag in ("is_active", "is_stationed"):
        if not data.get(flag):
            data.pop(flag, None)  # an unticked box is not sent
    return data


def test_a_superuser_edits_stationed_and_the_number_prefix(client, world, root):
    client.force_login(root)
    url = reverse("admin:petitions_orgunit_change", args=[world.other_dept.pk])
    response = client.post(url, form_data(world.other_dept, is_stationed=True))
    assert response.status_code == 302, response.context["adminform"].form.errors
    world.other_dept.refresh_from_db()
    assert world.other_dept.is_stationed is True

    url = reverse("admin:petitions_orgunit_change", args=[world.district.pk])
    assert client.post(url, form_data(world.district, number_prefix="LH")).status_code == 302
    world.district.refresh_from_db()
    assert world.district.number_prefix == "LH"


def test_a_bad_or_taken_prefix_is_refused(client, world, levels, root):
    client.force_login(root)
    world.district.number_prefix = "LH"
    world.district.save(update_fields=["number_prefix"])
    url = reverse("admin:petitions_orgunit_change", args=[levels.zone.pk])
    for bad in ("lh", "LH1", "ABCDE", "LH"):
        response = client.post(url, form_data(levels.zone, number_prefix=bad))
        assert response.status_code == 200, bad
        assert response.context["adminform"].form.errors, bad
    levels.zone.refresh_from_db()
    assert levels.zone.number_prefix == ""


def test_the_task_force_cannot_edit_a_unit(client, world):
    staff = world.staff
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    staff.user_permissions.set(Permission.objects.filter(codename="view_orgunit"))
    client.force_login(staff)
    url = reverse("admin:petitions_orgunit_change", args=[world.district.pk])
    response = client.post(url, form_data(world.district, number_prefix="LH"))
    assert response.status_code == 403
    world.district.refresh_from_db()
    assert world.district.number_prefix == ""


def test_a_handler_never_reaches_the_units_list(client, world):
    client.force_login(world.district_handler)  # not staff: the admin sends them to its login
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 302
    assert "/login/" in response["Location"]
