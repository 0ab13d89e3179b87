"""Real SMS gateways on 127.0.0.1 for tests and benchmarks: no mocks, real sockets (docs/sms.md).

`SmsGateway` speaks the generic JSON contract of notices/sms/http.py; `AliyunGateway` answers like
Alibaba Cloud's SendSms API (and checks the request's signature) for notices/sms/aliyun.py. Both are
`http.server.ThreadingHTTPServer`s on a free port in a background thread, good for several hundred
requests a second; neither de-duplicates anything, so a message sent twice is received twice.

    with SmsGateway(token="t0k") as gateway:
        settings.SMS_URL = gateway.sms_url()        # http://127.0.0.1:PORT/sms?token=t0k
        ...
        assert gateway.received == [("13800138000", "text", "key-1")]
        assert gateway.keys()["key-1"] == 1         # collections.Counter of the keys received

A pytest fixture is three lines:

    @pytest.fixture
    def gateway():
        with SmsGateway() as gateway:
            yield gateway

Failures, for the next calls or for a share of them (`how`):

    gateway.fail_next(2)                         # the next 2 calls answer HTTP 503
    gateway.fail_next(1, 429)                    # any HTTP status from 300 to 599
    gateway.fail_next(1, 400, message="bad")     # a permanent refusal with its message
    gateway.fail_next(1, "close")                # close the connection without an answer
    gateway.fail_next(1, "timeout")              # hang (default 30 s, ended by close()) unanswered
    gateway.fail_next(1, "timeout-after-accept") # take the message, then hang: the client times
    gateway.fail_next(1, "close-after-accept")   # out or is cut off after the message went out
    gateway.fail_fraction(0.2, 503, seed=1)      # each call fails with probability 0.2
    gateway.reset()                              # forget messages, calls and planned failures

`AliyunGateway.fail_next` also takes an Alibaba error code, answered with HTTP 200 as the real API
does: `gateway.fail_next(1, "isv.BUSINESS_LIMIT_CONTROL")`.

`calls` records every request with its headers and outcome (`Call`); `received` only the messages
taken (`Message(phone, text, key)`, a named tuple); `wait_for(n)` waits until n messages arrived.
`latency=0.05` delays every answer. Run one by hand: `python -m tests.notices.gateway [--aliyun]`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import itertools
import json
import random
import socket
import sys
import threading
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

CONNECTION_FAILURES = ("close", "timeout", "close-after-accept", "timeout-after-accept")


class Message(NamedTuple):
    phone: str
    text: str
    key: str


class Call(NamedTuple):
    """One request as the gateway saw it. `outcome` is "accepted", the HTTP status it answered
    (as text), or the connection failure it played."""

    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    outcome: str


@dataclass
class _Failure:
    how: int | str
    message: str = ""


@dataclass
class _Reply:
    status: int = 200
    payload: dict[str, Any] = field(default_factory=dict)
    message: Message | None = None  # taken, when not None
    failure: str = ""  # one of CONNECTION_FAILURES
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the Alibaba SDK's connection pool expects
    timeout = 30  # an idle keep-alive connection is dropped after this
    # Headers and body go out in two writes; with Nagle on, a keep-alive client waits for the
    # delayed ACK (40 ms) on every call.
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.gateway._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.gateway._closed(self.connection)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.gateway._serve(self, body)

    def do_GET(self) -> None:
        self.server.gateway._answer(self, _Reply(405, {"message": "POST only"}), "405")

    def log_message(self, format: str, *args: Any) -> None:
        pass  # hundreds of requests a second: no line each


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = (
        256  # the default backlog of 5 refuses connections under a benchmark's burst
    )
    gateway: SmsGateway

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout, closed pool) is expected here; anything else is a bug.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class SmsGateway:
    """The generic JSON SMS gateway (notices/sms/http.py), with failures on demand."""

    path = "/sms"

    def __init__(
        self,
        *,
        token: str = "",
        latency: float = 0.0,
        hang: float = 30.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.latency = latency
        self.hang = hang
        self.received: list[Message] = []
        self.calls: list[Call] = []
        self._bind = (host, port)
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._plan: deque[_Failure] = deque()
        self._share: tuple[float, _Failure, random.Random] | None = None
        self._ids = itertools.count(1)
        self._stop = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> SmsGateway:
        self._stop.clear()
        self._server = _Server(self._bind, _Handler)
        self._server.gateway = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, release hanging answers and drop open connections."""
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SmsGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- addresses ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the gateway is not running; use start() or a with block")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT, the server's root."""
        return f"http://{self._bind[0]}:{self.port}"

    def sms_url(self, *, timeout: float | None = None) -> str:
        """The SMS_URL that points at this gateway, with its token and the client's timeout."""
        options = {"token": self.token} if self.token else {}
        if timeout is not None:
            options["timeout"] = f"{timeout:g}"
        query = f"?{urlencode(options)}" if options else ""
        return f"{self.url}{self.path}{query}"

    # -- what arrived ---------------------------------------------------------------------------

    def keys(self) -> Counter[str]:
        """How often each delivery key was received (a key counted twice is a duplicate)."""
        with self._lock:
            return Counter(message.key for message in self.received)

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until at least `count` messages were received; False on timeout."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.received) >= count, timeout)

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self.calls.clear()
            self._plan.clear()
            self._share = None

    # -- failures on demand ---------------------------------------------------------------------

    def fail_next(self, count: int = 1, how: int | str = 503, *, message: str = "") -> None:
        """The next `count` calls fail as `how` says (see the module docstring)."""
        failure = _Failure(self._checked(how), message)
        with self._lock:
            self._plan.extend(failure for _ in range(count))

    def fail_fraction(
        self, fraction: float, how: int | str = 503, *, message: str = "", seed: int = 0
    ) -> None:
        """Each later call fails with probability `fraction` (0 stops it), drawn from `seed`."""
        if not 0 <= fraction <= 1:
            raise ValueError("fraction is between 0 and 1")
        failure = _Failure(self._checked(how), message)
        with self._lock:
            self._share = (fraction, failure, random.Random(seed)) if fraction else None

    def _checked(self, how: int | str) -> int | str:
        if isinstance(how, int) and 300 <= how <= 599:
            return how
        if how in CONNECTION_FAILURES:
            return how
        raise ValueError(
            f"unknown failure {how!r}: an HTTP status 300–599 or {CONNECTION_FAILURES}"
        )

    def _draw(self) -> _Failure | None:
        with self._lock:
            if self._plan:
                return self._plan.popleft()
            if self._share is not None:
                fraction, failure, rng = self._share
                if rng.random() < fraction:
                    return failure
        return None

    # -- serving ----------------------------------------------------------------------------------

    def _serve(self, handler: _Handler, body: bytes) -> None:
        if self.latency:
            self._stop.wait(self.latency)
        failure = self._draw()
        if failure is not None and not (
            isinstance(failure.how, str) and failure.how.endswith("-after-accept")
        ):
            reply = self._failed(failure)
        else:
            reply = self._reply(handler, body)
            if failure is not None and reply.message is not None:
                reply.failure = str(failure.how)
        self._answer(handler, reply, body=body)

    def _answer(
        self, handler: _Handler, reply: _Reply, outcome: str = "", *, body: bytes = b""
    ) -> None:
        headers = {name.lower(): value for name, value in handler.headers.items()}
        outcome = outcome or reply.failure or ("accepted" if reply.message else str(reply.status))
        with self._lock:
            self.calls.append(Call(handler.command, handler.path, headers, body, outcome))
            if reply.message is not None:
                self.received.append(reply.message)
                self._arrived.notify_all()
        if reply.failure.startswith("timeout"):
            self._stop.wait(self.hang)
        if reply.failure:
            handler.close_connection = True  # nothing written: the client sees the line drop
            return
        data = json.dumps(reply.payload, ensure_ascii=False).encode("utf-8")
        handler.send_response(reply.status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _failed(self, failure: _Failure) -> _Reply:
        if isinstance(failure.how, str):
            return _Reply(failure=failure.how)
        payload = {"message": failure.message or f"failure {failure.how} on demand"}
        # A redirect (3xx) points back at the gateway itself, as a moved service would.
        moved = {"Location": f"{self.url}{self.path}"} if failure.how < 400 else {}
        return _Reply(failure.how, payload, headers=moved)

    def _reply(self, handler: _Handler, body: bytes) -> _Reply:
        if urlsplit(handler.path).path != self.path:
            return _Reply(404, {"message": f"no such path; POST to {self.path}"})
        if self.token and handler.headers.get("Authorization") != f"Bearer {self.token}":
            return _Reply(401, {"message": "missing or wrong bearer token"})
        try:
            data = json.loads(body.decode("utf-8"))
        except ValueError:
            return _Reply(400, {"message": "the body is not JSON in UTF-8"})
        fields = [data.get(name) if isinstance(data, dict) else None for name in Message._fields]
        if not all(isinstance(value, str) and value for value in fields):
            return _Reply(400, {"message": "phone, text and key are required strings"})
        message = Message(*fields)
        if handler.headers.get("Idempotency-Key", message.key) != message.key:
            return _Reply(400, {"message": "the Idempotency-Key header differs from key"})
        return _Reply(200, {"id": f"gw-{next(self._ids)}"}, message)

    def _opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)


class AliyunGateway(SmsGateway):
    """Answers like Alibaba Cloud's SendSms (RPC style, JSON with Code/Message/BizId/RequestId).

    It checks the ACS3-HMAC-SHA256 signature with its own AccessKey, so a test proves the id and
    secret of SMS_URL arrived intact. `received` holds (PhoneNumbers, TemplateParam's text, OutId).
    """

    path = "/"

    def __init__(
        self,
        *,
        access_key_id: str = "test-key-id",
        access_key_secret: str = "test-key-secret",
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret

    def sms_url(
        self,
        *,
        timeout: float | None = None,
        sign: str = "政企直通车",
        template: str = "SMS_000001",
    ) -> str:
        """The SMS_URL that points at this gateway with its AccessKey, percent-encoded."""
        options = {"sign": sign, "template": template, "protocol": "http"}
        if timeout is not None:
            options["timeout"] = f"{timeout:g}"
        userinfo = f"{quote(self.access_key_id, safe='')}:{quote(self.access_key_secret, safe='')}"
        return f"aliyun://{userinfo}@{self._bind[0]}:{self.port}?{urlencode(options)}"

    def _checked(self, how: int | str) -> int | str:
        if isinstance(how, str) and how and how not in CONNECTION_FAILURES:
            return how  # an Alibaba error code
        return super()._checked(how)

    def _failed(self, failure: _Failure) -> _Reply:
        if isinstance(failure.how, str) and failure.how not in CONNECTION_FAILURES:
            return self._error(200, failure.how, failure.message or failure.how)
        if isinstance(failure.how, int):
            code = {429: "Throttling.User"}.get(failure.how, "InvalidParameter")
            if failure.how >= 500:
                code = "ServiceUnavailable"
            return self._error(failure.how, code, failure.message or f"failure {failure.how}")
        return super()._failed(failure)

    def _error(self, status: int, code: str, message: str) -> _Reply:
        return _Reply(status, {"Code": code, "Message": message, "RequestId": str(uuid.uuid4())})

    def _reply(self, handler: _Handler, body: bytes) -> _Reply:
        parts = urlsplit(handler.path)
        if parts.path != self.path or handler.headers.get("x-acs-action") != "SendSms":
            return self._error(404, "InvalidAction.NotFound", "only SendSms is served")
        refusal = self._check_signature(handler, parts.path, parts.query, body)
        if refusal is not None:
            return refusal
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if body and "form-urlencoded" in handler.headers.get("Content-Type", ""):
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        for name in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not params.get(name):
                return self._error(400, f"Missing{name}", f"{name} is mandatory for this action.")
        phone = params["PhoneNumbers"]
        if not (len(phone) == 11 and phone.isdigit() and phone.startswith("1")):
            return self._error(200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        try:
            text = json.loads(params.get("TemplateParam") or "{}")["text"]
        except (ValueError, KeyError, TypeError):
            return self._error(200, "isv.TEMPLATE_MISSING_PARAMETERS", "模版缺少变量")
        answer = {
            "Code": "OK",
            "Message": "OK",
            "BizId": f"{next(self._ids)}^0",
            "RequestId": str(uuid.uuid4()),
        }
        return _Reply(200, answer, Message(phone, str(text), params.get("OutId", "")))

    def _check_signature(
        self, handler: _Handler, path: str, query: str, body: bytes
    ) -> _Reply | None:
        algorithm, _, fields = handler.headers.get("Authorization", "").partition(" ")
        parts = dict(item.split("=", 1) for item in fields.split(",") if "=" in item)
        if algorithm != "ACS3-HMAC-SHA256" or not parts.get("Signature"):
            return self._error(400, "IncompleteSignature", "the request signature is missing")
        if parts.get("Credential") != self.access_key_id:
            return self._error(
                404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
            )
        signed = parts.get("SignedHeaders", "")
        canonical_headers = "".join(
            f"{name}:{(handler.headers.get(name) or '').strip()}\n" for name in signed.split(";")
        )
        canonical_query = "&".join(
            f"{key}={quote(value, safe='~')}"
            for key, value in sorted(parse_qsl(query, keep_blank_values=True))
        )
        canonical = "\n".join(
            [
                handler.command,
                path or "/",
                canonical_query,
                canonical_headers,
                signed,
                hashlib.sha256(body).hexdigest(),
            ]
        )
        to_sign = f"{algorithm}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"
        expected = hmac.new(
            self.access_key_secret.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, parts["Signature"]):
            return self._error(
                400,
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation.",
            )
        return None


def main() -> None:
    """Serve a gateway until Ctrl-C, printing the SMS_URL that points at it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--token", default="")
    parser.add_argument("--aliyun", action="store_true", help="answer like Alibaba Cloud SendSms")
    parser.add_argument("--fail-fraction", type=float, default=0.0)
    args = parser.parse_args()
    if args.aliyun:
        gateway: SmsGateway = AliyunGateway(port=args.port)
    else:
        gateway = SmsGateway(port=args.port, token=args.token)
    with gateway:
        gateway.fail_fraction(args.fail_fraction)
        sys.stdout.write(f"SMS_URL={gateway.sms_url()}\n")
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
        sys.stdout.write(f"{len(gateway.received)} messages received\n")


if __name__ == "__main__":
    main()
