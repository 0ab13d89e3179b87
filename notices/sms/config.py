"""SMS_URL: which SMS backend to use, with its address and credentials, in one setting.

Forms (docs/sms.md says more):

- ``console://`` — write each message to the log (logger "notices.sms"); the development default
  when DEBUG is on.
- ``locmem://`` — append ``(phone, text, key)`` to ``notices.sms.locmem.outbox``; for tests.
- ``dummy://`` — accept and drop; the production default when SMS_URL is unset (a deploy check
  refuses it).
- ``http://host:port/path?token=…&timeout=5`` or ``https://…`` — a generic SMS gateway: POST JSON
  ``{"phone", "text", "key", "sign"}`` with the headers ``Idempotency-Key: <key>`` and, when the URL
  has ``token``, ``Authorization: Bearer <token>``. ``token`` and ``timeout`` (seconds, default 5)
  are taken out of the address actually requested; other query parameters stay.
- ``aliyun://ACCESS_KEY_ID:ACCESS_KEY_SECRET@dysmsapi.aliyuncs.com?sign=签名&template=SMS_123456``
  — Alibaba Cloud SendSms through the official SDK. Optional: ``timeout`` (seconds, default 5),
  ``protocol=http`` (default https; tests point the host and port at a local server). ``sign``
  falls back to the SMS_SIGN setting.

User and password are percent-decoded, so a secret with ``@ : / ? #`` or ``%`` is written
percent-encoded (``urllib.parse.quote(secret, safe="")``). An unknown scheme, a bad port or timeout
is `ImproperlyConfigured`; the message never repeats the secrets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from notices.sms.base import SmsBackend

# Dotted paths, imported on first use: the Alibaba Cloud SDK takes half a second to import and only
# processes configured for it should pay that.
BACKENDS = {
    "console": "notices.sms.console.ConsoleBackend",
    "locmem": "notices.sms.locmem.LocmemBackend",
    "dummy": "notices.sms.base.DummyBackend",
    "http": "notices.sms.http.HttpBackend",
    "https": "notices.sms.http.HttpBackend",
    "aliyun": "notices.sms.aliyun.AliyunBackend",
}
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class SmsUrl:
    """SMS_URL taken apart; `username` and `password` are decoded. Its repr hides both."""

    scheme: str
    host: str = ""
    port: int | None = None
    path: str = ""
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    query: dict[str, str] = field(default_factory=dict)

    def option(self, name: str, default: str = "") -> str:
        return self.query.get(name, default) or default

    def timeout(self) -> float:
        """`?timeout=` in seconds, default 5."""
        raw = self.option("timeout")
        if not raw:
            return DEFAULT_TIMEOUT
        try:
            seconds = float(raw)
        except ValueError:
            seconds = 0.0
        if not 0 < seconds <= 300:
            raise ImproperlyConfigured(
                f"SMS_URL timeout must be a number of seconds between 0 and 300, not {raw!r}."
            )
        return seconds


def parse(url: str) -> SmsUrl:
    """Take SMS_URL apart (see the module docstring for the forms)."""
    text = (url or "").strip()
    if not text:
        raise ImproperlyConfigured("SMS_URL is empty; see docs/sms.md for its forms.")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    known = ", ".join(f"{name}://" for name in BACKENDS)
    # Only the scheme is ever repeated: the rest may hold a secret.
    if "://" not in text or not scheme:
        raise ImproperlyConfigured(f"SMS_URL is not a URL; use one of {known} (docs/sms.md).")
    if scheme not in BACKENDS:
        raise ImproperlyConfigured(
            f"SMS_URL has an unknown scheme {scheme[:20]!r}; use one of {known} (docs/sms.md)."
        )
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"SMS_URL ({scheme}://…) has an invalid port.") from None
    return SmsUrl(
        scheme=scheme,
        host=parts.hostname or "",
        port=port,
        path=parts.path,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        query=dict(parse_qsl(parts.query, keep_blank_values=True)),
    )


def build(url: str, *, sign: str = "") -> SmsBackend:
    """The backend SMS_URL names; `sign` is the SMS_SIGN setting (the sender's signature)."""
    parsed = parse(url)
    backend_class: type[SmsBackend] = import_string(BACKENDS[parsed.scheme])
    return backend_class.from_url(parsed, sign=sign)
