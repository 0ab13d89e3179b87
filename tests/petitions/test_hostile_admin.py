"""The admin refuses an id that is not one with its own message, not a server error.

Django's autocomplete widget looked the submitted id up again to re-render a refused form, and an
id the key cannot hold raised ValueError (zqztc/admin_guards.py).
"""

import pytest
from django.urls import reverse

from petitions.models import OrgUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.gov.cn", "x")
    client.force_login(root)
    client.raise_request_exception = False
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.mark.parametrize("typed", ["abc", "1e309", "1.5", "99999999999999999999999", "-1"])
def test_an_id_that_is_not_one_in_an_autocomplete_field_is_an_invalid_choice(admin_client, typed):
    before = OrgUnit.objects.count()
    response = admin_client.post(
        reverse("admin:petitions_orgunit_add"), {"name": "新单位", "kind": "city", "parent": typed}
    )
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert OrgUnit.objects.count() == before


def test_a_real_parent_is_still_shown_selected_on_a_refused_form(admin_client, world):
    response = admin_client.post(
        reverse("admin:petitions_orgunit_add"),
        {"name": "", "kind": "city", "parent": world.city.pk},
    )
    assert response.status_code == 200
    assert (
        f'<option value="{world.city.pk}" selected>{world.city}</option>'
        in response.content.decode()
    )


@pytest.mark.parametrize(
    "query",
    [
        "received_at__year=9999",
        "received_at__year=9999&received_at__month=12&received_at__day=31",
        "received_at__year=99999999999999999999999",
        "received_at__year=2026&received_at__month=-1",
        "received_at__year=2026&received_at__month=1e3",
    ],
)
def test_a_date_hierarchy_out_of_the_calendar_is_refused_with_the_bad_request_page(
    admin_client, query
):
    response = admin_client.get(reverse("admin:petitions_petition_changelist") + "?" + query)
    assert response.status_code == 400
    assert "400.html" in [t.name for t in response.templates]


def test_a_date_hierarchy_inside_the_calendar_still_filters(admin_client):
    url = reverse("admin:petitions_petition_changelist") + "?received_at__year=2026"
    assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize("ticked", ["", "abc", "1e309", "99999999999999999999999"])
def test_an_action_on_rows_that_are_not_rows_says_nothing_was_selected(
    admin_client, django_user_model, ticked
):
    users = django_user_model.objects.count()
    response = admin_client.post(
        reverse("admin:petitions_user_changelist"),
        {"action": "delete_selected", "index": "0", "_selected_action": ticked},
        follow=True,
    )
    assert response.status_code == 200
    assert django_user_model.objects.count() == users
