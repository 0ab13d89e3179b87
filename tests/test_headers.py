"""Response headers: the Content-Security-Policy on every audience's pages, no inline script anywhere in
the templates, `Cache-Control: no-store, private` on private pages and downloads, and a session that
lasts one working day."""

import re
import secrets
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils.cache import get_max_age

from petitions import uploads, workflow
from petitions.models import User
from tests.petitions import flow
from tests.petitions.test_attachments import PDF, upload
from tests.test_deploy_check import manage
from zqztc.middleware import private_no_store

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [BASE_DIR / "templates", *BASE_DIR.glob("*/templates")]
# The policy as django-csp writes it (directive order varies), the nonce left out.
EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


class Elements(HTMLParser):
    """The <script> and <style> elements of a page: their attributes and whether they hold code."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict, str]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style"):
            self.found.append((tag, dict(attrs), ""))

    def handle_data(self, data: str) -> None:
        if self.found and self.lasttag in ("script", "style"):
            tag, attrs, text = self.found[-1]
            self.found[-1] = (tag, attrs, text + data)


def elements(html: str) -> list[tuple[str, dict, str]]:
    parser = Elements()
    parser.feed(html)
    return parser.found


def assert_page_obeys_the_policy(response) -> None:
    directives = policy(response)
    nonces = [v for v in directives.get("style-src", []) if v.startswith("'nonce-")]
    assert {k: [v for v in vs if not v.startswith("'nonce-")] for k, vs in directives.items()} == (
        EXPECTED_POLICY
    )
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    html = response.content.decode()
    for tag, attrs, text in elements(html):
        if tag == "script":
            # Code comes from our own files; json_script data is not executed.
            assert "src" in attrs or attrs.get("type") == "application/json", (attrs, text[:200])
        else:
            assert nonces, text[:200]
            assert attrs.get("nonce") == nonces[0][len("'nonce-") : -1], text[:200]
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html), "an inline event handler"


# --- the Content-Security-Policy ---------------------------------------------------------------


AUDIENCE_PAGES = [
    ("firm_user", "portal:petitions", ()),
    ("firm_user", "portal:submit", ()),
    ("firm_user", "meetings:portal_topics", ()),
    ("handler", "handler:inbox", ()),
    ("staff", "staff:home", ()),
    ("staff", "staff:register", ()),
    ("staff", "meetings:list", ()),
    ("staff", "meetings:plan", ()),
    ("leader", "staff:approvals", ()),
    ("supervisor", "supervision:ledger", ()),
    ("supervisor", "supervision:statistics", ()),
]


@pytest.mark.parametrize(("who", "name", "args"), AUDIENCE_PAGES)
def test_every_audiences_pages_send_the_policy_and_carry_no_inline_script(
    client, world, who, name, args
):
    client.force_login(getattr(world, who))

    response = client.get(reverse(name, args=args))

    assert response.status_code == 200
    assert_page_obeys_the_policy(response)


def test_the_login_page_sends_the_policy_to_a_visitor(client, db):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert_page_obeys_the_policy(response)


def test_the_admin_pages_send_the_policy_and_carry_no_inline_script(client, world):
    root = User.objects.create_superuser("root", "root@example.gov.cn", "x")
    client.force_login(root)

    for url in (
        reverse("admin:index"),
        reverse("admin:petitions_user_changelist"),
        reverse("admin:petitions_user_change", args=[world.handler.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_page_obeys_the_policy(response)


def test_a_print_page_keeps_its_inline_styles_through_the_nonce(client, world):
    petition = flow.assigned(world)
    client.force_login(world.staff)

    response = client.get(reverse("staff:transfer_letter", args=[petition.pk]))

    assert response.status_code == 200
    assert "'nonce-" in response["Content-Security-Policy"]
    assert_page_obeys_the_policy(response)
    assert "data-zq-print" in response.content.decode()


def test_each_response_gets_a_fresh_nonce(client, world):
    client.force_login(world.staff)

    first = policy(client.get(reverse("staff:home")))["style-src"]
    second = policy(client.get(reverse("staff:home")))["style-src"]

    assert first != second


def test_a_pdf_goes_without_the_policy_so_that_chromes_viewer_can_show_it(client, world):
    petition = flow.assigned(world)
    client.force_login(world.staff)

    response = client.get(reverse("staff:transfer_letter_pdf", args=[petition.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert "Content-Security-Policy" not in response


# --- no inline script in the templates ----------------------------------------------------------

SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"""\son[a-z]+\s*=\s*["'{]""", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"""\sstyle\s*=\s*["'{]""", re.IGNORECASE)
STYLE_TAG = re.compile(r"<style\b[^>]*>", re.IGNORECASE)


def templates() -> list[Path]:
    found = [path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html")]
    assert len(found) > 50  # the walk found the templates
    return found


def test_no_template_has_an_inline_script():
    offenders = []
    for path in templates():
        for tag in SCRIPT_TAG.findall(path.read_text()):
            if "src=" not in tag and 'type="application/json"' not in tag:
                offenders.append(f"{path.relative_to(BASE_DIR)}: {tag}")
    assert offenders == [], "move the code to static/js/ and wire it with data- attributes"


def test_no_template_has_an_event_handler_attribute_or_a_javascript_url():
    offenders = []
    for path in templates():
        text = path.read_text()
        for match in HANDLER_ATTRIBUTE.finditer(text):
            offenders.append(
                f"{path.relative_to(BASE_DIR)}: {text[match.start() : match.end() + 30]}"
            )
        if "javascript:" in text.lower():
            offenders.append(f"{path.relative_to(BASE_DIR)}: javascript: URL")
    assert offenders == [], "listen in static/js/ (see static/js/zqztc.js) instead"


def test_no_template_has_a_style_attribute_or_a_style_block_without_the_nonce():
    offenders = []
    for path in templates():
        text = path.read_text()
        for match in STYLE_ATTRIBUTE.finditer(text):
            offenders.append(
                f"{path.relative_to(BASE_DIR)}: {text[match.start() : match.end() + 30]}"
            )
        for tag in STYLE_TAG.findall(text):
            if 'nonce="{{ request.csp_nonce }}"' not in tag:
                offenders.append(f"{path.relative_to(BASE_DIR)}: {tag}")
    assert offenders == [], (
        "use a class (static/css/zqztc.css) or a <style> with the request's nonce"
    )


def test_the_template_checks_catch_what_they_look_for():
    assert SCRIPT_TAG.findall("<script>alert(1)</script>") == ["<script>"]
    assert HANDLER_ATTRIBUTE.search("""<button type="button" onclick="window.print()">""")
    assert HANDLER_ATTRIBUTE.search("""<input onkeydown='x'>""")
    assert not HANDLER_ATTRIBUTE.search("""<p>Done once = twice</p>""")
    assert STYLE_ATTRIBUTE.search("""<div style="max-height: 12rem">""")


# --- Cache-Control ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "name"),
    [
        ("firm_user", "portal:petitions"),
        ("handler", "handler:inbox"),
        ("staff", "staff:home"),
        ("supervisor", "supervision:statistics"),
    ],
)
def test_a_signed_in_users_page_is_not_stored_in_any_cache(client, world, who, name):
    client.force_login(getattr(world, who))

    response = client.get(reverse(name))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"


def test_a_redirect_to_a_signed_in_user_is_not_stored_either(client, world):
    client.force_login(world.staff)

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert {"no-store", "private"} <= cache_control(response)


def test_an_attachment_download_is_not_stored(client, world):
    petition = flow.assigned(world)
    [item] = workflow.add_material(
        petition_id=petition.pk,
        actor=world.firm_user,
        files=uploads.validate_uploads([upload("证明.pdf", PDF)]),
    )
    client.force_login(world.firm_user)

    response = client.get(reverse("attachment", args=[item.pk]))

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert {"no-store", "private"} <= cache_control(response)


@pytest.mark.parametrize("download", [False, True])
def test_a_pdf_is_not_stored(client, world, download):
    petition = flow.assigned(world)
    client.force_login(world.staff)

    response = client.get(
        reverse("staff:transfer_letter_pdf", args=[petition.pk]),
        {"download": 1} if download else {},
    )

    assert response["Content-Type"] == "application/pdf"
    assert {"no-store", "private"} <= cache_control(response)


@pytest.mark.parametrize(
    ("who", "name"),
    [("staff", "staff:export"), ("supervisor", "supervision:ledger_export")],
)
def test_a_spreadsheet_export_is_not_stored(client, world, who, name):
    client.force_login(getattr(world, who))

    response = client.get(reverse(name))

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert {"no-store", "private"} <= cache_control(response)


def test_any_download_is_not_stored_even_for_a_visitor():
    # Whatever view serves a file (an import error sheet, a future public form), the middleware
    # recognises it by its Content-Disposition.
    def download(request):
        response = HttpResponse(b"a,b\n", content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="errors.csv"'
        return response

    request = RequestFactory().get("/anything")
    request.user = AnonymousUser()

    response = private_no_store(download)(request)

    assert response["Cache-Control"] == "no-store, private"


def test_a_visitors_page_is_left_to_its_view(client, db):
    # Public pages hold nothing private; the login page is never cached anyway (Django's never_cache,
    # for its CSRF token), so the middleware adds nothing to a visitor's page.
    def page(request):
        return HttpResponse("<p>public</p>")

    request = RequestFactory().get("/anything")
    request.user = AnonymousUser()
    assert "Cache-Control" not in private_no_store(page)(request)

    login_page = client.get(reverse("login"))
    assert {"no-store", "private"} <= cache_control(login_page)


def test_static_files_keep_their_caching_for_a_signed_in_user(client, world):
    client.force_login(world.staff)

    response = client.get(settings.STATIC_URL + "css/zqztc.css")

    assert response.status_code == 200
    assert "no-store" not in cache_control(response)
    assert get_max_age(response) is not None


# --- the session -----------------------------------------------------------------------------


def test_a_login_lasts_one_working_day(client, world):
    response = client.post(
        reverse("login"), {"username": "handler", "password": "pass-for-tests-1"}
    )

    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert settings.SESSION_COOKIE_AGE == 9 * 60 * 60
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE
    assert cookie["httponly"] is True
    assert cookie["samesite"] == settings.SESSION_COOKIE_SAMESITE
    assert bool(cookie["secure"]) == settings.SESSION_COOKIE_SECURE
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_the_session_lifetime_comes_from_the_environment():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.SESSION_COOKIE_AGE)",
        SECRET_KEY=secrets.token_urlsafe(50),
        SESSION_COOKIE_AGE="28800",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "28800"
