"""SMS channel backends, chosen by the SMS_URL setting (forms in notices/sms/config.py, docs/sms.md).

    backend = get_backend()
    message_id = backend.send("+8613800138000", text, key=delivery.key)

`send` raises `SmsTemporaryError` (try again later with the same key) or `SmsPermanentError`
(never retry).
"""

from __future__ import annotations

import threading

from django.conf import settings

from notices.sms import config
from notices.sms.base import SmsBackend, SmsError, SmsPermanentError, SmsTemporaryError

__all__ = [
    "SmsBackend",
    "SmsError",
    "SmsPermanentError",
    "SmsTemporaryError",
    "clear_cache",
    "configured_url",
    "get_backend",
]

# One backend per (SMS_URL, SMS_SIGN): the settings are fixed in production, and a test that
# changes them gets a new entry rather than a stale backend.
_backends: dict[tuple[str, str], SmsBackend] = {}
_lock = threading.Lock()


def configured_url() -> str:
    """SMS_URL, or when it is unset or empty the console in DEBUG and `dummy://` otherwise."""
    url = getattr(settings, "SMS_URL", "") or ""
    return url.strip() or ("console://" if settings.DEBUG else "dummy://")


def get_backend() -> SmsBackend:
    """The backend of the current SMS_URL (and SMS_SIGN), built once per value.

    Settings are read at each call, so a test that overrides SMS_URL gets a backend for it.
    """
    key = (configured_url(), getattr(settings, "SMS_SIGN", "") or "")
    backend = _backends.get(key)
    if backend is None:
        with _lock:
            backend = _backends.get(key)
            if backend is None:
                backend = _backends[key] = config.build(key[0], sign=key[1])
    return backend


def clear_cache() -> None:
    """Close and forget the backends built so far (after credentials change, and in tests)."""
    with _lock:
        built = list(_backends.values())
        _backends.clear()
    for backend in built:
        backend.close()
