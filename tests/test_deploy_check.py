"""The production settings pass Django's deployment checklist (SPEC: deployment; STYLE C8).

Each test runs `manage.py` in a fresh interpreter with the real settings module, because settings
are read once per process and the test settings relax some of them.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# Only what an interpreter needs from the outer environment: the test process itself carries
# variables (DJANGO_ALLOW_ASYNC_UNSAFE from conftest, DATABASE_URL, ...) that a deployment would not.
INHERITED = ("PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "SYSTEMROOT")

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "zqztc.settings",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "zqztc.example.gov.cn",
}


def manage(*args, **env_overrides):
    """Run manage.py with production-like settings; explicit variables win over a local .env."""
    inherited = {name: os.environ[name] for name in INHERITED if name in os.environ}
    env = {**inherited, **PRODUCTION_ENV, **env_overrides}
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
