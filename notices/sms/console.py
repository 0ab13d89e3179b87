"""`console://`: every message goes to the log (logger "notices.sms"), for development."""

from __future__ import annotations

import logging

from notices.sms.base import SmsBackend, check_message

log = logging.getLogger("notices.sms")


class ConsoleBackend(SmsBackend):
    def send(self, phone: str, text: str, *, key: str) -> str:
        national = check_message(phone, text, key)
        log.info("SMS to %s (key %s, %d characters):\n%s", national, key, len(text), text)
        return ""
