"""NUL bytes and other control characters never reach PostgreSQL (which refuses NUL in text).

zqztc/sanitize.py strips them from every query, form and cookie value and refuses them in the URL
path. These pages gave a server error before it: the firm picker, and the admin's list filters.
"""

from urllib.parse import quote

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from petitions.models import Channel, Petition, PetitionType

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite accepts NUL in text; the server error happened on PostgreSQL")


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.staff)
    client.raise_request_exception = False
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def admin_client(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.gov.cn", "x")
    client.force_login(root)
    client.raise_request_exception = False
    return client


def test_a_nul_byte_in_the_firm_pickers_query_is_dropped_and_the_firm_still_found(
    staff_client, world
):
    response = staff_client.get(reverse("staff:enterprise_search"), {"q": "测试\x00企业"})
    assert response.status_code == 200
    assert world.firm in response.context["found"]


def test_a_lone_nul_byte_in_the_firm_pickers_query_finds_nothing(staff_client):
    response = staff_client.get(reverse("staff:enterprise_search"), {"q": "\x00"})
    assert response.status_code == 200
    assert response.context["found"] == []


@pytest.mark.parametrize(
    ("model", "params"),
    [
        ("user", {"role": "\x00"}),
        ("user", {"q": "\x00"}),
        ("petition", {"state": "\x00"}),
        ("petition", {"q": "ZQ\x00"}),
        ("enterprise", {"q": "\x00\x01\x1f"}),
        ("orgunit", {"kind": "\x00"}),
    ],
)
def test_a_nul_byte_in_an_admin_list_filter_or_search_shows_the_list(admin_client, model, params):
    response = admin_client.get(reverse(f"admin:petitions_{model}_changelist"), params)
    assert response.status_code in (200, 302)


def test_a_nul_byte_in_a_filter_name_does_not_reach_the_admin_lookup(admin_client):
    url = reverse("admin:petitions_user_changelist") + "?role%00=handler"
    response = admin_client.get(url)
    assert response.status_code in (200, 302)


def test_control_characters_are_stripped_from_posted_text_but_tabs_and_line_breaks_stay(
    staff_client, world
):
    staff_client.post(
        reverse("staff:register"),
        {
            "enterprise": world.firm.pk,
            "channel": Channel.VISIT,
            "received_at": "2026-03-02T09:30",
            "type": PetitionType.CONSULTATION,
            "title": "贷款\x00贴息\x07政策\x1b咨询\x7f",
            "content": "第一行\r\n第二行\t备注\x00",
        },
    )
    petition = Petition.objects.get()
    assert petition.title == "贷款贴息政策咨询"
    assert petition.content == "第一行\r\n第二行\t备注"


def test_a_nul_byte_in_a_posted_choice_is_refused_as_an_invalid_choice(staff_client, world):
    response = staff_client.post(
        reverse("staff:register"),
        {
            "enterprise": f"{world.firm.pk}\x00",
            "channel": "\x00",
            "received_at": "2026-03-02T09:30\x00",
            "type": PetitionType.CONSULTATION,
            "title": "标题",
            "content": "内容",
        },
    )
    assert response.status_code == 400
    assert "channel" in response.context["form"].errors
    assert not Petition.objects.exists()


def test_a_control_character_in_the_url_path_gets_the_bad_request_page(staff_client):
    response = staff_client.get("/staff/petitions/" + quote("\x00") + "/")
    assert response.status_code == 400
    assert "400.html" in [t.name for t in response.templates]
    # Refused before LocaleMiddleware: the page still speaks the language the browser asked for.
    assert "The request could not be understood" in response.content.decode()


def test_the_bad_request_page_does_not_take_the_language_a_previous_request_left(client):
    client.raise_request_exception = False
    translation.activate("en")  # what a previous request in this thread may have left active
    try:
        response = client.get("/staff/petitions/" + quote("\x00") + "/")
    finally:
        translation.deactivate()
    assert response.status_code == 400
    with translation.override("zh-hans"):
        heading = translation.gettext("The request could not be understood")
    assert heading in response.content.decode()


def test_a_nul_byte_in_the_session_cookie_is_an_anonymous_visit_not_a_server_error(client):
    client.raise_request_exception = False
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"
    response = client.get(reverse("staff:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
