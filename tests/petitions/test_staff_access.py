"""/staff/: every page is for the task force (some also for leaders and supervisors); firms and
handlers get 403, and staff of another city get 404 for every page that takes an id."""

import pytest
from django.urls import reverse

from petitions import workflow
from petitions.models import OrgUnit, Role, UnitKind
from tests.factories import member
from tests.petitions import flow

pytestmark = pytest.mark.django_db

# (url name, method, who may use it besides the task force)
BY_ID = [
    ("staff:triage", "get", ()),
    ("staff:accept", "post", ()),
    ("staff:reject", "post", ()),
    ("staff:mark_duplicate", "post", ()),
    ("staff:assign", "get", ()),
    ("staff:review_return", "post", ()),
    ("staff:submit_approval", "post", ()),
    ("staff:issue_letter", "post", ()),
    ("staff:revisit", "get", ()),
    ("staff:conclude", "post", ()),
    ("staff:archive", "post", ()),
    ("staff:petition", "get", ("leader", "supervisor")),
    ("staff:transfer_letter", "get", ("leader", "supervisor")),
    ("staff:transfer_letter_pdf", "get", ("leader", "supervisor")),
    ("staff:dossier", "get", ("leader", "supervisor")),
    ("staff:dossier_pdf", "get", ("leader", "supervisor")),
]
LISTS = [
    ("staff:home", ("leader", "supervisor")),
    ("staff:intake", ()),
    ("staff:register", ()),
    ("staff:enterprise_search", ()),
    ("staff:letters", ()),
    ("staff:extensions", ()),
    ("staff:approvals", ("leader",)),
    ("staff:revisits", ()),
    ("staff:search", ("leader", "supervisor")),
    ("staff:export", ("leader", "supervisor")),
    ("staff:imports", ()),
]


@pytest.fixture
def case(world):
    """A petition being handled, with a pending extension request and an issued letter."""
    petition = flow.in_progress(world)
    extension = workflow.request_extension(
        petition_id=petition.pk, actor=world.handler, reason="需要现场勘查。", amount=3
    )
    return petition, extension


def call(client, user, url, method="get"):
    client.force_login(user)
    return getattr(client, method)(url)


@pytest.mark.parametrize(("name", "method", "readers"), BY_ID)
def test_staff_of_another_city_get_404_for_a_petition(client, world, case, name, method, readers):
    url = reverse(name, args=[case[0].pk])
    assert call(client, world.foreign_staff, url, method).status_code == 404


@pytest.mark.parametrize(("name", "method", "readers"), BY_ID)
@pytest.mark.parametrize("who", ["firm_user", "handler", "leader", "supervisor"])
def test_other_audiences_get_403_for_a_petition(client, world, case, name, method, readers, who):
    url = reverse(name, args=[case[0].pk])
    status = call(client, getattr(world, who), url, method).status_code
    if who in readers:
        assert status == 200
    else:
        assert status == 403


@pytest.mark.parametrize(("name", "readers"), LISTS)
@pytest.mark.parametrize("who", ["firm_user", "handler", "leader", "supervisor", "staff"])
def test_lists_are_for_the_task_force_and_named_readers(client, world, name, readers, who):
    status = call(client, getattr(world, who), reverse(name)).status_code
    assert status == (200 if who == "staff" or who in readers else 403)


def test_import_confirmation_is_for_the_task_force(client, world):
    for who in ("firm_user", "handler", "leader", "supervisor"):
        assert (
            call(client, getattr(world, who), reverse("staff:import_confirm"), "post").status_code
            == 403
        )


def test_an_extension_of_another_city_is_404(client, world, case):
    url = reverse("staff:decide_extension", args=[case[1].pk])
    assert call(client, world.foreign_staff, url, "post").status_code == 404
    for who in ("firm_user", "handler", "leader", "supervisor"):
        assert call(client, getattr(world, who), url, "post").status_code == 403


def test_a_leader_of_another_city_gets_404_on_the_approval_form(client, world):
    petition = flow.awaiting_approval(world)
    unit = OrgUnit.objects.create(
        name="河源市政府领导", kind=UnitKind.LEADERSHIP, parent=world.other_city
    )
    stranger = member(unit, Role.LEADER, username="foreign_leader")
    url = reverse("staff:approval", args=[petition.pk])
    assert call(client, stranger, url).status_code == 404
    assert call(client, world.leader, url).status_code == 200
    for who in ("staff", "supervisor", "handler", "firm_user"):
        assert call(client, getattr(world, who), url).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.get(reverse("staff:intake"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_start_page_sends_staff_to_the_workbench(client, world):
    client.force_login(world.staff)
    assert client.get("/")["Location"] == reverse("staff:home")
