"""System checks of the machine the project runs on, of its production settings, and of the roles each
jurisdiction lacks."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.mail.backends import console, dummy, filebased, locmem
from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction
from django.utils.module_loading import import_string

from petitions import staffing

# Backends that never deliver: they print, write to disk, keep in memory or drop every mail.
LOGGING_MAIL_BACKENDS = (console.EmailBackend, filebased.EmailBackend, locmem.EmailBackend)
DROPPING_MAIL_BACKENDS = (dummy.EmailBackend,)


@register(Tags.compatibility)
def cjk_font_installed(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Without a CJK font WeasyPrint prints Chinese as empty boxes, silently (docs/decisions.md D12)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []  # cannot tell on this machine
    try:
        found = subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if found.returncode != 0 or found.stdout.strip():
        return []
    return [
        Warning(
            "No Chinese (CJK) font is installed: printed documents would show Chinese as empty boxes.",
            hint="Install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk).",
            id="petitions.W001",
        )
    ]


@register(Tags.security, deploy=True)
def mail_is_delivered(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Production mail must go to a mail server (deploy only: development and the tests keep theirs).

    The console, file and memory backends put password-reset links and petition texts in the
    process log, on disk or nowhere; the dummy backend (the default without EMAIL_URL) drops them.
    """
    if settings.DEBUG:
        return []
    try:
        backend = import_string(settings.EMAIL_BACKEND)
    except ImportError:
        return []  # Django itself fails on the first mail; nothing to say about leaks
    hint = (
        "Set EMAIL_URL to the mail server, e.g. smtp+tls://user:password@mail.example.gov.cn:587."
    )
    if issubclass(backend, DROPPING_MAIL_BACKENDS):
        return [
            Error(
                "Mail is not configured (EMAIL_URL is unset or dummymail://): password resets "
                "and notices to firms would be dropped.",
                hint=hint,
                id="petitions.E001",
            )
        ]
    if issubclass(backend, LOGGING_MAIL_BACKENDS):
        return [
            Error(
                f"Mail is not delivered but kept by {settings.EMAIL_BACKEND}: password-reset links "
                "and petition texts would end up in the process log, on disk or in memory.",
                hint=hint,
                id="petitions.E002",
            )
        ]
    return []


@register(Tags.database)
def jurisdictions_have_every_role(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[Warning]:
    """Per active jurisdiction, a role nobody holds: task force, leader, handling department,
    supervision office (petitions/staffing.py; docs/rules.md §1). Warnings only.

    It reads the database, so like Django's own database checks it runs only when asked for one
    (`check --database default`, `migrate`); a plain `check` and `runserver` skip it, and a database
    not migrated yet says nothing.
    """
    if not databases or DEFAULT_DB_ALIAS not in databases:
        return []
    try:
        with transaction.atomic(using=DEFAULT_DB_ALIAS):  # a savepoint inside a test's transaction
            found = staffing.gaps()
    except DatabaseError:
        return []  # the tables are not there yet (migrate runs its checks first)
    return [Warning(gap.message, hint=gap.hint, id=gap.id) for gap in found]
