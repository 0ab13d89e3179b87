"""The production settings pass Django's deployment checklist (docs/architecture.md §11; docs/conventions.md C8).

Each test runs `manage.py` in a fresh interpreter with the real settings module, because settings
are read once per process and the test settings relax some of them.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.checks import run_checks

from petitions import checks

BASE_DIR = Path(__file__).resolve().parent.parent

# Only what an interpreter needs from the outer environment: the test process itself carries
# variables (DJANGO_ALLOW_ASYNC_UNSAFE from conftest, DATABASE_URL, ...) that a deployment would not.
INHERITED = ("PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "SYSTEMROOT")

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "zqztc.settings",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "zqztc.example.gov.cn",
    "EMAIL_URL": "smtp+tls://zqztc:password@mail.example.gov.cn:587",
    "SMS_URL": "https://sms.example.gov.cn/send?token=secret",
}


def manage(*args, **env_overrides):
    """Run manage.py with production-like settings; explicit variables win over a local .env.

    A variable given as None is left out (the settings' default applies, unless a local .env sets it).
    """
    inherited = {name: os.environ[name] for name in INHERITED if name in os.environ}
    env = {**inherited, **PRODUCTION_ENV, **env_overrides}
    env = {name: value for name, value in env.items() if value is not None}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deployment_checklist():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=secrets.token_urlsafe(50)
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.findall(r"[\w.]+\.W\d{3}", output) == []


def test_deployment_checklist_fails_with_an_empty_secret_key():
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY="")

    assert result.returncode != 0


def test_settings_refuse_an_empty_secret_key():
    # A plain check does not read SECRET_KEY, so only the settings module itself can refuse it.
    result = manage("check", SECRET_KEY="")

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


# --- mail (a console backend printed password-reset links and petition texts to the log) -------


def deploy_check(**env_overrides):
    result = manage("check", "--deploy", SECRET_KEY=secrets.token_urlsafe(50), **env_overrides)
    return result, result.stdout + result.stderr


@pytest.mark.parametrize(
    "email_url",
    ["consolemail://", "filemail:///tmp/zqztc-mail", "memorymail://"],
    ids=["console", "file", "memory"],
)
def test_deployment_checklist_refuses_mail_that_is_kept_instead_of_delivered(email_url):
    result, output = deploy_check(EMAIL_URL=email_url)

    assert result.returncode != 0, output
    assert "petitions.E002" in output
    assert "process log" in output
    assert "EMAIL_URL" in output  # the hint says what to set


@pytest.mark.parametrize("email_url", [None, "", "dummymail://"], ids=["unset", "empty", "dummy"])
def test_deployment_checklist_refuses_production_without_a_mail_server(email_url):
    result, output = deploy_check(EMAIL_URL=email_url)

    assert result.returncode != 0, output
    assert "petitions.E001" in output
    assert "EMAIL_URL" in output


def test_production_without_email_url_drops_mail_instead_of_logging_it():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.EMAIL_BACKEND)",
        SECRET_KEY=secrets.token_urlsafe(50),
        EMAIL_URL=None,
    )

    assert result.stdout.strip() == "django.core.mail.backends.dummy.EmailBackend", result.stderr


def test_development_mail_goes_to_the_console_and_passes_the_mail_check():
    result, output = deploy_check(DEBUG="1", EMAIL_URL=None)

    assert result.returncode == 0, output  # DEBUG itself is only a warning
    assert not re.findall(r"petitions\.E\d{3}", output), output


def test_a_plain_check_does_not_look_at_mail():
    # Only `check --deploy` refuses: migrations and the test suite run plain checks.
    result = manage("check", SECRET_KEY=secrets.token_urlsafe(50), EMAIL_URL="consolemail://")

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_test_settings_pass_the_plain_checks():
    # tests/settings.py keeps mail in memory (mail.outbox) with DEBUG off.
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"
    assert not settings.DEBUG

    errors = [m for m in run_checks() if m.is_serious()]

    assert errors == []


@pytest.mark.parametrize(
    ("debug", "backend", "expected"),
    [
        (False, "django.core.mail.backends.console.EmailBackend", ["petitions.E002"]),
        (False, "django.core.mail.backends.filebased.EmailBackend", ["petitions.E002"]),
        (False, "django.core.mail.backends.locmem.EmailBackend", ["petitions.E002"]),
        (False, "django.core.mail.backends.dummy.EmailBackend", ["petitions.E001"]),
        (False, "django.core.mail.backends.smtp.EmailBackend", []),
        (False, "no.such.Backend", []),  # Django fails on the first mail; no leak to report
        (True, "django.core.mail.backends.console.EmailBackend", []),
    ],
)
def test_the_mail_check_by_backend(settings, debug, backend, expected):
    settings.DEBUG = debug
    settings.EMAIL_BACKEND = backend

    assert [m.id for m in checks.mail_is_delivered()] == expected


@pytest.mark.parametrize("sms_url", [None, "", "dummy://", "console://", "locmem://"])
def test_deployment_checklist_refuses_sms_that_never_reaches_a_phone(sms_url):
    result, output = deploy_check(SMS_URL=sms_url)

    assert result.returncode != 0, output
    assert "notices.E001" in output
    assert "SMS_URL" in output  # the hint says what to set


def test_deployment_checklist_refuses_an_sms_url_it_cannot_read():
    result, output = deploy_check(SMS_URL="carrier-pigeon://coop")

    assert result.returncode != 0, output
    assert "notices.E002" in output
    assert "unknown scheme" in output


@pytest.mark.parametrize(
    ("debug", "url", "expected"),
    [
        (False, "dummy://", ["notices.E001"]),
        (False, "http://127.0.0.1:9/sms", []),
        (False, "aliyun://id:secret@dysmsapi.aliyuncs.com?sign=x&template=SMS_1", []),
        (False, "nonsense", ["notices.E002"]),
        (True, "console://", []),
    ],
)
def test_the_sms_check_by_url(settings, debug, url, expected):
    from notices import checks as notice_checks

    settings.DEBUG = debug
    settings.SMS_URL = url
    assert [m.id for m in notice_checks.sms_is_delivered()] == expected
