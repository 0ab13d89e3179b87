"""Redis down never refuses a petition (docs/jobs.md, "Redis down"): the rate limiter fails open.

A real redis-server started on a free port for each test and killed in the middle of it, with
Django's own RedisCache pointed at it; and the same cache pointed at a port nobody listens on and at
a server that accepts connections but never answers. Nothing here replaces our code or Redis's.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from petitions import ratelimit
from petitions.models import Attachment, Enterprise, Petition, PetitionType, User
from tests.conftest import reset_celery_connections
from tests.factories import make_uscc
from tests.petitions import flow
from zqztc.celery import app

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LOGGER = "petitions.ratelimit"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A throw-away redis-server: no snapshot, no append-only file, in the foreground."""

    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        self.kill()
        pytest.fail("redis-server did not start")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    try:
        yield server
    finally:
        server.kill()


def use_cache(settings, location: str, **options: object) -> None:
    """The production cache backend (zqztc/settings.py with REDIS_URL) at `location`."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            **({"OPTIONS": options} if options else {}),
        }
    }


@pytest.fixture
def broker_at():
    """Point Celery's broker at a URL with eager mode off, as in production; restore afterwards."""
    before = {k: app.conf[k] for k in ("task_always_eager", "broker_url")}

    def point(url: str) -> None:
        app.conf.update(task_always_eager=False, broker_url=url)
        reset_celery_connections()

    yield point
    app.conf.update(before)
    reset_celery_connections()


def warnings_of(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]


def request_from(ip: str, user=None):
    request = RequestFactory().post("/", REMOTE_ADDR=ip)
    request.user = user if user is not None else AnonymousUser()
    return request


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def new_petition(title: str) -> dict:
    return {
        "type": PetitionType.COMPLAINT,
        "title": title,
        "content": "园区东门道路每逢下雨严重积水，货车无法进出。",
        "request": "请尽快疏通排水管道。",
        "similar_checked": "1",
    }


# --- the limiter itself -----------------------------------------------------------------------


def test_with_redis_up_the_limits_count_in_redis_and_refuse_past_the_limit(
    settings, redis_server, caplog
):
    use_cache(settings, redis_server.url)
    ask = request_from("203.0.113.7")
    assert [ratelimit.hit(ask, "reset_code") for _ in range(11)] == [True] * 10 + [False]
    # Another address has its own count; the refused attempt was taken back out.
    assert ratelimit.hit(request_from("203.0.113.8"), "reset_code") is True
    keys = redis.Redis.from_url(redis_server.url).keys("*rl:reset_code:ip:203.0.113.7:*")
    assert len(keys) == 1
    assert caches["default"].get(keys[0].decode().split(":", 2)[2]) == 10
    assert warnings_of(caplog) == []


def test_reset_codes_are_limited_per_address_only(settings, redis_server, world):
    """Ten an hour from one address, whoever is signed in; none counted per account."""
    use_cache(settings, redis_server.url)
    people = [world.firm_user, world.colleague, AnonymousUser()]
    answers = [
        ratelimit.hit(request_from("192.0.2.9", people[i % 3]), "reset_code") for i in range(11)
    ]
    assert answers == [True] * 10 + [False]
    assert redis.Redis.from_url(redis_server.url).keys("*rl:reset_code:user:*") == []
    assert ratelimit.rule("reset_code") == ratelimit.Rule("reset_code", None, 10, 3600)


def test_when_redis_dies_the_limiter_allows_and_warns_once_per_attempt(
    settings, redis_server, caplog
):
    use_cache(settings, redis_server.url)
    ask = request_from("203.0.113.7")
    for _ in range(10):
        assert ratelimit.hit(ask, "reset_code")
    assert not ratelimit.hit(ask, "reset_code")  # at the limit while Redis is up
    redis_server.kill()
    caplog.set_level(logging.WARNING, logger=LOGGER)
    assert [ratelimit.hit(ask, "reset_code") for _ in range(3)] == [True, True, True]
    records = warnings_of(caplog)
    assert len(records) == 3
    assert all("'reset_code' not checked" in r.getMessage() for r in records)
    assert "ConnectionError" in records[0].getMessage()


def test_a_cache_at_a_closed_port_allows_every_action(settings, caplog):
    use_cache(settings, f"redis://127.0.0.1:{free_port()}/0")
    caplog.set_level(logging.WARNING, logger=LOGGER)
    user = User(pk=10_000_001, username="nobody")
    for action in ("submit", "signup", "reset_code"):
        assert ratelimit.hit(request_from("198.51.100.1", user), action) is True
    assert len(warnings_of(caplog)) == 3


def test_a_server_that_never_answers_is_given_up_within_the_socket_timeout(settings, caplog):
    """A black hole (the kernel accepts, nobody reads) hangs a cache without a socket timeout;
    with one, the limiter lets the firm through after it."""
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(16)
    try:
        use_cache(
            settings,
            f"redis://127.0.0.1:{hole.getsockname()[1]}/0",
            socket_connect_timeout=0.5,
            socket_timeout=0.5,
        )
        started = time.monotonic()
        assert ratelimit.hit(request_from("198.51.100.2"), "submit") is True
        assert time.monotonic() - started < 5
    finally:
        hole.close()
    [record] = warnings_of(caplog)
    assert "TimeoutError" in record.getMessage()


def test_an_unknown_action_is_still_a_programming_error(settings):
    use_cache(settings, f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(ValueError, match="no rate limit for 'upload'"):
        ratelimit.hit(request_from("198.51.100.3"), "upload")


# --- the portal paths, with the cache and the broker on a Redis killed mid-test -----------------


def test_a_portal_submission_goes_through_once_when_redis_dies(
    client, world, settings, redis_server, broker_at, caplog, django_capture_on_commit_callbacks
):
    use_cache(settings, redis_server.url)
    broker_at(redis_server.url)
    client.force_login(world.firm_user)
    with django_capture_on_commit_callbacks(execute=True):
        before = client.post(reverse("portal:submit"), new_petition("红灯前一件"))
    assert before.status_code == 302
    redis_server.kill()
    caplog.set_level(logging.WARNING)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("portal:submit"), new_petition("厂区道路积水"))

    assert response.status_code == 302
    [petition] = Petition.objects.filter(title="厂区道路积水")
    assert response["Location"] == reverse("portal:petition", args=[petition.pk])
    assert Petition.objects.count() == 2
    # The page it leads to opens too (sessions and messages live in the database and the cookie).
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert petition.number in page.content.decode()
    assert len(warnings_of(caplog)) == 1
    # The notices' task could not be queued either: logged, and the delivery rows wait for the
    # worker's sweep (docs/architecture.md §7).
    assert callbacks
    assert any(r.name == "zqztc.queue" for r in caplog.records)
    assert petition.deliveries.filter(status="pending").exists()


def test_a_sign_up_goes_through_once_when_redis_dies(client, world, settings, redis_server, caplog):
    use_cache(settings, redis_server.url)
    redis_server.kill()
    uscc = make_uscc(4242)
    data = {
        "uscc": uscc,
        "name": "汕头新能源科技有限公司",
        "jurisdiction": world.city.pk,
        "contact_name": "李明",
        "mobile": "139 2345 6789",
        "email": "liming@example.com",
        "username": "xinnengyuan",
        "password1": "Kx8-dianli-2026",
        "password2": "Kx8-dianli-2026",
    }
    response = client.post(reverse("portal:signup"), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert Enterprise.objects.filter(uscc=uscc).count() == 1
    assert User.objects.filter(username="xinnengyuan").count() == 1
    assert len(warnings_of(caplog)) == 1


def test_supplementary_material_is_added_once_when_redis_dies(
    client, world, settings, redis_server, caplog
):
    petition = flow.assigned(world)
    use_cache(settings, redis_server.url)
    client.force_login(world.firm_user)
    url = reverse("portal:add_material", args=[petition.pk])
    assert client.post(url, {"attachments": [pdf("一.pdf")]}).status_code == 302
    redis_server.kill()
    response = client.post(url, {"note": "补充现场照片", "attachments": [pdf("现场.pdf")]})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:petition", args=[petition.pk])
    assert Attachment.objects.filter(petition=petition, original_name="现场.pdf").count() == 1
    assert petition.attachments.count() == 2
    assert len(warnings_of(caplog)) == 1
