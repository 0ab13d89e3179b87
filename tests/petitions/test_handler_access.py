"""Who may open the handler's pages: a unit sees only its own petitions (404 for the rest, so that
existence does not leak), and every other audience is refused with 403 (docs/rules.md §8)."""

import pytest
from django.urls import reverse

from tests.petitions import flow

pytestmark = pytest.mark.django_db

ACTION_URLS = [
    "handler:confirm",
    "handler:return",
    "handler:contact",
    "handler:progress",
    "handler:extension",
    "handler:opinion",
    "handler:reply",
    "handler:documents",
]
PETITION_URLS = ["handler:petition", *ACTION_URLS]
WRONG_AUDIENCE = ["staff", "leader", "supervisor", "firm_user"]


@pytest.fixture
def led(world):
    """A petition in progress led by world.dept (市工业和信息化局)."""
    return flow.in_progress(world)


@pytest.mark.parametrize("name", PETITION_URLS)
def test_a_handler_of_another_unit_gets_404(client, world, led, name):
    client.force_login(world.other_handler)
    assert client.get(reverse(name, args=[led.pk])).status_code == 404


@pytest.mark.parametrize("name", ACTION_URLS)
def test_a_handler_of_another_unit_gets_404_when_posting(client, world, led, name):
    client.force_login(world.other_handler)
    assert client.post(reverse(name, args=[led.pk]), {"text": "x"}).status_code == 404
    led.refresh_from_db()
    assert led.state == "in_progress"


@pytest.mark.parametrize("name", ACTION_URLS)
def test_a_handler_of_another_city_gets_404(client, world, led, name, django_user_model):
    from petitions.models import Role

    foreigner = django_user_model.objects.create_user(
        "foreign_handler", role=Role.HANDLER, unit=world.foreign_dept
    )
    client.force_login(foreigner)
    assert client.post(reverse(name, args=[led.pk])).status_code == 404


@pytest.mark.parametrize("name", PETITION_URLS)
def test_a_petition_that_does_not_exist_is_404(client, world, name):
    client.force_login(world.handler)
    assert client.get(reverse(name, args=[999999])).status_code == 404


@pytest.mark.parametrize("name", PETITION_URLS)
@pytest.mark.parametrize("who", WRONG_AUDIENCE)
def test_the_wrong_audience_gets_403_even_for_a_petition_it_may_see(client, world, led, name, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse(name, args=[led.pk])).status_code == 403
    if name != "handler:petition":
        assert client.post(reverse(name, args=[led.pk])).status_code == 403


@pytest.mark.parametrize("who", WRONG_AUDIENCE)
def test_the_inbox_is_for_handlers_only(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("handler:inbox")).status_code == 403


def test_a_handler_without_a_unit_gets_403(client, django_user_model):
    from petitions.models import Role

    user = django_user_model.objects.create_user("loose", role=Role.HANDLER)
    client.force_login(user)
    assert client.get(reverse("handler:inbox")).status_code == 403


def test_a_visitor_is_sent_to_log_in(client, world, led):
    response = client.get(reverse("handler:petition", args=[led.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_start_page_sends_a_handler_to_the_inbox(client, world):
    client.force_login(world.handler)
    response = client.get("/")
    assert response["Location"] == reverse("handler:inbox")


def test_a_co_handling_unit_sees_the_petition(client, world):
    petition = flow.in_progress(world, co_units=[world.other_dept])
    client.force_login(world.other_handler)
    assert client.get(reverse("handler:petition", args=[petition.pk])).status_code == 200


def test_a_proposed_unit_sees_the_petition_before_confirming(client, world):
    petition = flow.proposed(world)
    client.force_login(world.handler)
    assert client.get(reverse("handler:petition", args=[petition.pk])).status_code == 200


def test_a_unit_that_returned_a_petition_reassigned_elsewhere_no_longer_sees_it(client, world):
    from petitions import workflow

    petition = flow.returned(world)
    workflow.review_return(
        petition_id=petition.pk, actor=world.staff, uphold=True, unit=world.other_dept
    )
    client.force_login(world.handler)
    assert client.get(reverse("handler:petition", args=[petition.pk])).status_code == 404
    client.force_login(world.other_handler)
    assert client.get(reverse("handler:petition", args=[petition.pk])).status_code == 200


def test_a_co_handler_may_not_act_as_the_lead(client, world):
    petition = flow.in_progress(world, co_units=[world.other_dept])
    client.force_login(world.other_handler)
    response = client.post(reverse("handler:reply", args=[petition.pk]), {"reply-text": "越权答复"})
    assert response.status_code == 403
    petition.refresh_from_db()
    assert petition.state == "in_progress"


def test_a_co_handler_may_not_confirm_for_the_proposed_unit(client, world):
    petition = flow.proposed(world, co_units=[world.other_dept])
    client.force_login(world.other_handler)
    assert client.post(reverse("handler:confirm", args=[petition.pk])).status_code == 403
    petition.refresh_from_db()
    assert petition.state == "proposed"
