"""A real SMTP server on 127.0.0.1 for delivery tests and the benchmark (aiosmtpd): it keeps what it
receives and fails on demand, like a mail server under trouble.

    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        ...
        sink.fail_next(2)           # the next 2 messages answer 451 (try again later)
        sink.fail_fraction(0.2)     # each message fails with probability 0.2 (451)
        sink.refuse("bad@x.cn")     # 550 for this recipient (permanent)
        sink.stop(); sink.start()   # the server goes away and comes back on the same port
        sink.message_ids()          # Counter of the Message-ID headers received
"""

from __future__ import annotations

import random
import socket
import threading
from collections import Counter
from email import message_from_bytes

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.sink.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.sink.lock:
            if self.sink.failures > 0:
                self.sink.failures -= 1
                return "451 4.3.0 try again later"
            if self.sink.fraction and self.sink.random.random() < self.sink.fraction:
                return "451 4.3.0 try again later"
            self.sink.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


class SmtpSink:
    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.lock = threading.Lock()
        self.messages: list = []
        self.failures = 0
        self.fraction = 0.0
        self.random = random.Random(1)
        self.refused: set[str] = set()
        self.controller: Controller | None = None

    def start(self) -> SmtpSink:
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(self, n: int) -> None:
        with self.lock:
            self.failures = n

    def fail_fraction(self, fraction: float, seed: int = 1) -> None:
        with self.lock:
            self.fraction, self.random = fraction, random.Random(seed)

    def refuse(self, address: str) -> None:
        self.refused.add(address)

    def message_ids(self) -> Counter:
        with self.lock:
            return Counter(m["Message-ID"] for m in self.messages)

    def recipients(self) -> list[str]:
        with self.lock:
            return [m["To"] for m in self.messages]
