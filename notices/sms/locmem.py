"""`locmem://`: messages are kept in `outbox` of this process, for tests (like Django's mail.outbox).

A test empties it first: `locmem.outbox.clear()`.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

from notices.sms.base import SmsBackend, check_message


class SentSms(NamedTuple):
    phone: str  # as given to send()
    text: str
    key: str


outbox: list[SentSms] = []
_lock = threading.Lock()


class LocmemBackend(SmsBackend):
    def send(self, phone: str, text: str, *, key: str) -> str:
        check_message(phone, text, key)
        with _lock:
            outbox.append(SentSms(phone, text, key))
            return f"locmem-{len(outbox)}"
