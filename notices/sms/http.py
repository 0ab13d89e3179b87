"""`http://…` / `https://…`: a generic SMS gateway (e.g. a government 政务短信 platform) taking one
message per JSON POST. Standard library only.

The contract (docs/sms.md): POST ``{"phone": "13800138000", "text": …, "key": …, "sign": …}`` with
``Idempotency-Key: <key>`` and ``Authorization: Bearer <token>`` when SMS_URL has ``?token=``. Any 2xx
is accepted; a JSON answer ``{"id": …}`` gives the message id. 408, 429, 5xx, a refused or dropped
connection and a timeout are temporary; any other status is permanent.
"""

from __future__ import annotations

import http.client
import json
from typing import Self
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit, urlunsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

from django.core.exceptions import ImproperlyConfigured

from notices.sms.base import SmsBackend, SmsPermanentError, SmsTemporaryError, check_message
from notices.sms.config import DEFAULT_TIMEOUT, SmsUrl

# SMS_URL options for us, never sent to the gateway (the token goes in a header instead).
OUR_OPTIONS = ("token", "timeout")
MAX_ANSWER = 64 * 1024
MESSAGE_CHARS = 200
TEMPORARY_STATUSES = {408, 429}


class _NoRedirect(HTTPRedirectHandler):
    """urllib would follow a 301/302 of a POST as a GET without the message (and perhaps report
    success); a redirect means SMS_URL names the wrong address, so it fails instead."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = build_opener(_NoRedirect)


class HttpBackend(SmsBackend):
    def __init__(
        self, endpoint: str, *, token: str = "", timeout: float = DEFAULT_TIMEOUT, sign: str = ""
    ) -> None:
        self.endpoint = endpoint
        self.token = token
        self.timeout = timeout
        self.sign = sign

    def __repr__(self) -> str:
        # Never the token: backends end up in logs and tracebacks.
        return f"HttpBackend({self.endpoint!r}, timeout={self.timeout})"

    @classmethod
    def from_url(cls, url: SmsUrl, *, sign: str = "") -> Self:
        if not url.host:
            raise ImproperlyConfigured(f"SMS_URL ({url.scheme}://…) names no host.")
        if url.username or url.password:
            raise ImproperlyConfigured(
                "SMS_URL for an HTTP gateway takes its credential as ?token=…, not user:password@."
            )
        host = f"[{url.host}]" if ":" in url.host else url.host
        netloc = f"{host}:{url.port}" if url.port else host
        query = urlencode({k: v for k, v in url.query.items() if k not in OUR_OPTIONS})
        endpoint = urlunsplit((url.scheme, netloc, url.path or "/", query, ""))
        return cls(endpoint, token=url.option("token"), timeout=url.timeout(), sign=sign)

    def send(self, phone: str, text: str, *, key: str) -> str:
        payload = {"phone": check_message(phone, text, key), "text": text, "key": key}
        if self.sign:
            payload["sign"] = self.sign
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "User-Agent": "zqztc-sms/1",
            "Idempotency-Key": key,
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = Request(
            self.endpoint,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers=headers,
            method="POST",
        )
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                answer = response.read(MAX_ANSWER)
        except HTTPError as exc:
            raise _refusal(exc) from None
        except TimeoutError:
            # The gateway may have taken the message: the resend carries the same Idempotency-Key.
            raise SmsTemporaryError(
                f"SMS gateway {self._where()} did not answer within {self.timeout:g} s"
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            # URLError (refused, DNS, TLS), a reset or dropped connection, a garbled answer.
            reason = exc.reason if isinstance(exc, URLError) else exc
            raise SmsTemporaryError(
                f"SMS gateway {self._where()} unreachable: {reason!s:.{MESSAGE_CHARS}}"
            ) from None
        return _message_id(answer)

    def _where(self) -> str:
        parts = urlsplit(self.endpoint)
        return f"{parts.netloc}{parts.path}"


def _refusal(exc: HTTPError) -> SmsTemporaryError | SmsPermanentError:
    status = exc.code
    try:
        body = exc.read(MAX_ANSWER)
    except (OSError, http.client.HTTPException):
        body = b""
    finally:
        exc.close()
    if 300 <= status < 400:
        location = exc.headers.get("Location", "") if exc.headers else ""
        return SmsPermanentError(
            f"HTTP {status}: the SMS gateway redirects to {location[:MESSAGE_CHARS]!r}; "
            "set SMS_URL to the final address"
        )
    message = f"HTTP {status}: {_message(body) or exc.reason}"
    if status in TEMPORARY_STATUSES or status >= 500:
        return SmsTemporaryError(message)
    return SmsPermanentError(message)


def _message(body: bytes) -> str:
    """The gateway's explanation: `message` (or `error`, `msg`, `detail`) of a JSON answer, else the
    text itself, on one line and at most 200 characters."""
    text = body.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for name in ("message", "error", "msg", "detail"):
            if isinstance(data.get(name), str) and data[name].strip():
                text = data[name]
                break
    return " ".join(text.split())[:MESSAGE_CHARS]


def _message_id(answer: bytes) -> str:
    try:
        data = json.loads(answer.decode("utf-8", errors="replace"))
    except ValueError:
        return ""
    if isinstance(data, dict) and data.get("id") not in (None, ""):
        return str(data["id"])[:MESSAGE_CHARS]
    return ""
