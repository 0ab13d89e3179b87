"""`aliyun://ID:SECRET@dysmsapi.aliyuncs.com?sign=签名&template=SMS_123456`: Alibaba Cloud SendSms
through the official SDK.

The whole text travels as one template variable, `TemplateParam={"text": …}`, so the account's
template must be `${text}`-based (docs/sms.md). Our delivery key is sent as `OutId`: Alibaba Cloud
does not de-duplicate on it, but returns it with the delivery receipt, so a copy sent twice after a
crash can be recognised.

Which answers are temporary: Alibaba's own convention is that `isp.*` codes are the provider's fault
and `isv.*` codes the caller's. Caller's faults are permanent, except the rate limits on one number or
one day and an empty balance, which pass by themselves or with a top-up, without changing the message.
"""

from __future__ import annotations

import json
from typing import Self

from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_dysmsapi20170525.models import SendSmsRequest
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException, ThrottlingException
from alibabacloud_tea_openapi.models import Config
from django.core.exceptions import ImproperlyConfigured
from Tea.exceptions import UnretryableException

from notices.sms.base import (
    SmsBackend,
    SmsError,
    SmsPermanentError,
    SmsTemporaryError,
    check_message,
)
from notices.sms.config import DEFAULT_TIMEOUT, SmsUrl

DEFAULT_ENDPOINT = "dysmsapi.aliyuncs.com"
TEMPLATE_VARIABLE = "text"
MESSAGE_CHARS = 200

TEMPORARY_CODES = {
    "isv.BUSINESS_LIMIT_CONTROL",  # per-number limits (1 a minute, a few an hour or day)
    "isv.DAY_LIMIT_CONTROL",  # the account's daily volume
    "isv.AMOUNT_NOT_ENOUGH",  # balance too low
    "isv.OUT_OF_SERVICE",  # suspended for arrears
    "ServiceUnavailable",
    "InternalError",
    "SignatureNonceUsed",  # a nonce collision: the next request draws a new one
}
TEMPORARY_PREFIXES = ("isp.", "Throttling")
# Listed for the reader; any other `isv.` code is permanent as well.
PERMANENT_CODES = {
    "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.SMS_SIGNATURE_ILLEGAL",
    "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.INVALID_PARAMETERS",
    "isv.INVALID_JSON_PARAM",
    "isv.PARAM_LENGTH_LIMIT",
    "isv.BLACK_KEY_CONTROL_LIMIT",
    "isv.ACCOUNT_NOT_EXISTS",
    "isv.ACCOUNT_ABNORMAL",
    "isp.RAM_PERMISSION_DENY",  # an isp. code that is the caller's: the key lacks the permission
    "InvalidAccessKeyId.NotFound",
    "InvalidAccessKeyId.Inactive",
    "SignatureDoesNotMatch",
    "Forbidden.RAM",
}


class AliyunBackend(SmsBackend):
    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign: str,
        template: str,
        endpoint: str = DEFAULT_ENDPOINT,
        protocol: str = "https",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.sign = sign
        self.template = template
        self.endpoint = endpoint
        milliseconds = max(1, round(timeout * 1000))
        # The SDK does not retry unless told to (no retry_options): the delivery worker retries.
        self.client = Client(
            Config(
                access_key_id=access_key_id,
                access_key_secret=access_key_secret,
                endpoint=endpoint,
                protocol=protocol,
                connect_timeout=milliseconds,
                read_timeout=milliseconds,
            )
        )

    def __repr__(self) -> str:
        return f"AliyunBackend({self.endpoint!r}, sign={self.sign!r}, template={self.template!r})"

    @classmethod
    def from_url(cls, url: SmsUrl, *, sign: str = "") -> Self:
        if not url.username or not url.password:
            raise ImproperlyConfigured(
                "SMS_URL aliyun://ACCESS_KEY_ID:ACCESS_KEY_SECRET@dysmsapi.aliyuncs.com?sign=…&template=… "
                "needs both the AccessKey id and secret."
            )
        template = url.option("template")
        sign = url.option("sign") or sign
        if not template or not sign:
            raise ImproperlyConfigured(
                "SMS_URL aliyun://… needs ?template=SMS_… and a sign (?sign=… or SMS_SIGN)."
            )
        protocol = url.option("protocol", "https").lower()
        if protocol not in ("http", "https"):
            raise ImproperlyConfigured("SMS_URL aliyun://… protocol must be http or https.")
        host = url.host or DEFAULT_ENDPOINT
        return cls(
            access_key_id=url.username,
            access_key_secret=url.password,
            sign=sign,
            template=template,
            endpoint=f"{host}:{url.port}" if url.port else host,
            protocol=protocol,
            timeout=url.timeout(),
        )

    def send(self, phone: str, text: str, *, key: str) -> str:
        request = SendSmsRequest(
            phone_numbers=check_message(phone, text, key),
            sign_name=self.sign,
            template_code=self.template,
            template_param=json.dumps({TEMPLATE_VARIABLE: text}, ensure_ascii=False),
            out_id=key,
        )
        try:
            response = self.client.send_sms(request)
        except ThrottlingException as exc:
            raise SmsTemporaryError(_describe(exc.code, _data_message(exc))) from None
        except AlibabaCloudException as exc:
            raise failure(exc.code, _data_message(exc), status=exc.status_code) from None
        except UnretryableException as exc:
            # No answer to read: refused, reset, timed out, or not JSON (a proxy's error page).
            inner = exc.inner_exception
            reason = getattr(inner, "message", None) or inner
            raise SmsTemporaryError(
                f"Alibaba Cloud {self.endpoint} unreachable: {reason!s:.{MESSAGE_CHARS}}"
            ) from None
        body = response.body
        if body is not None and body.code == "OK":
            return body.biz_id or ""
        code, message = (body.code, body.message) if body is not None else ("", "no answer body")
        raise failure(code, message, status=response.status_code)


def failure(code: str | None, message: str | None, *, status: int | None = None) -> SmsError:
    """Temporary or permanent, from the answer's `Code` first and its HTTP status second."""
    code = code if code and code != "None" else ""
    described = _describe(code, message)
    if code in PERMANENT_CODES:
        return SmsPermanentError(described)
    if code in TEMPORARY_CODES or code.startswith(TEMPORARY_PREFIXES):
        return SmsTemporaryError(described)
    if code.startswith("isv."):
        return SmsPermanentError(described)
    if status is not None and 400 <= status < 500 and status not in (408, 429):
        return SmsPermanentError(described)
    # A server error or an unknown code on a 200: retried a bounded number of times by the worker.
    return SmsTemporaryError(described)


def _describe(code: str | None, message: str | None) -> str:
    return f"Alibaba Cloud {code or 'error'}: {' '.join(str(message or '').split())}"[
        :MESSAGE_CHARS
    ]


def _data_message(exc: AlibabaCloudException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    return str(data.get("Message") or data.get("message") or exc.message or "")
