"""What every SMS backend offers the delivery worker, and the two kinds of failure it may report.

The worker (notices/sender.py) retries a `SmsTemporaryError` later with the same key and marks a
`SmsPermanentError` failed for good; docs/sms.md says which provider answers fall on which side.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from notices.sms.config import SmsUrl

# Mainland mobile numbers: 11 digits, 1 then 3–9. The worker stores numbers in E.164 (+86…).
_MOBILE = re.compile(r"1[3-9]\d{9}")
# Separators people type inside a number; anything else makes it invalid.
_SEPARATORS = str.maketrans("", "", " -\u00a0")


class SmsError(Exception):
    """Base."""


class SmsTemporaryError(SmsError):
    """Try again later (timeouts, connection refused, HTTP 5xx/429, provider throttling)."""


class SmsPermanentError(SmsError):
    """Never retry (invalid number, rejected content, HTTP 4xx other than 408/429, bad credentials)."""


def national_mobile(phone: str) -> str:
    """The 11-digit national form of a mainland mobile number given in E.164 (+86…) or nationally.

    Spaces and hyphens are ignored. Anything else (a landline, a foreign number, a typo) is a
    `SmsPermanentError`: sending it again will not make it valid.
    """
    digits = str(phone or "").translate(_SEPARATORS)
    if digits.startswith("+86"):
        digits = digits[3:]
    if not _MOBILE.fullmatch(digits):
        raise SmsPermanentError(f"not a mainland mobile number: {str(phone)[:40]!r}")
    return digits


def check_message(phone: str, text: str, key: str) -> str:
    """Validate one message before it leaves; return the national form of the number."""
    if not key:
        # Without the key a resend after a crash cannot be recognised (docs/sms.md).
        raise ValueError("an SMS needs its delivery key")
    if not text or not text.strip():
        raise SmsPermanentError("empty SMS text")
    return national_mobile(phone)


class SmsBackend:
    """Send one message to one number. Subclasses implement `send`; `close` is optional."""

    @classmethod
    def from_url(cls, url: SmsUrl, *, sign: str = "") -> Self:
        """The backend SMS_URL describes (notices/sms/config.py); these simple ones need nothing of it."""
        return cls()

    def send(self, phone: str, text: str, *, key: str) -> str:
        """Send one message to one number (E.164, e.g. '+8613800138000'); return the provider's message id
        (or '' if none). `key` is our unique delivery key: pass it to the provider as the idempotency /
        out-id so a resend after a crash can be recognised. Raise SmsTemporaryError/SmsPermanentError."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections; the default holds none."""


class DummyBackend(SmsBackend):
    """`dummy://`: accepts and drops every valid message (production default when SMS_URL is unset)."""

    def send(self, phone: str, text: str, *, key: str) -> str:
        check_message(phone, text, key)
        return ""
