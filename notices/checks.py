"""Deploy checks of the SMS channel (docs/sms.md), beside the mail checks in petitions/checks.py."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from notices.sms import config, configured_url

# Schemes that never reach a phone: they log, keep in memory or drop the message.
NOT_DELIVERED = ("console", "locmem", "dummy")


@register(Tags.security, deploy=True)
def sms_is_delivered(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Production SMS must go to a gateway: firms hear from the government by SMS (docs/notices.md)."""
    if settings.DEBUG:
        return []
    hint = "Set SMS_URL to the SMS gateway, e.g. https://sms.example.gov.cn/send?token=… (docs/sms.md)."
    try:
        scheme = config.parse(configured_url()).scheme
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint=hint, id="notices.E002")]
    if scheme in NOT_DELIVERED:
        return [
            Error(
                f"SMS is not delivered ({scheme}://): firms would not be told of their petitions "
                "and password-reset codes would never arrive.",
                hint=hint,
                id="notices.E001",
            )
        ]
    return []
