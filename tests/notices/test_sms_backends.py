"""SMS backends (notices/sms/): every SMS_URL form, the phone check, and which failures are
temporary or permanent, against real local gateways (tests/notices/gateway.py), never mocks."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import time
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured

from notices import sms
from notices.sms import config, locmem
from notices.sms.aliyun import AliyunBackend
from notices.sms.base import (
    DummyBackend,
    SmsPermanentError,
    SmsTemporaryError,
    national_mobile,
)
from notices.sms.console import ConsoleBackend
from notices.sms.http import HttpBackend
from notices.sms.locmem import LocmemBackend
from tests.notices.gateway import AliyunGateway, Message, SmsGateway

PHONE = "+8613800138000"
NATIONAL = "13800138000"
TEXT = "【政企直通车】您的诉求ZQ2026-000123已受理，请登录查看。"
# An AccessKey secret with every character that has a meaning in a URL.
AWKWARD_SECRET = "p@ss:w/rd?#%&+= 1"


@pytest.fixture(autouse=True)
def _fresh():
    locmem.outbox.clear()
    sms.clear_cache()
    yield
    locmem.outbox.clear()
    sms.clear_cache()


@pytest.fixture
def gateway():
    with SmsGateway(token="t0ken/+=") as gateway:
        yield gateway


@pytest.fixture
def aliyun():
    with AliyunGateway(access_key_id="LTAI-test", access_key_secret=AWKWARD_SECRET) as gateway:
        yield gateway


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- SMS_URL and get_backend ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "backend_class"),
    [
        ("console://", ConsoleBackend),
        ("locmem://", LocmemBackend),
        ("dummy://", DummyBackend),
        ("http://gateway.example.gov.cn:8080/sms?token=abc", HttpBackend),
        ("https://gateway.example.gov.cn/api/sms", HttpBackend),
        ("aliyun://id:secret@dysmsapi.aliyuncs.com?sign=政企直通车&template=SMS_1", AliyunBackend),
    ],
)
def test_each_form_of_sms_url_names_its_backend(settings, url, backend_class):
    settings.SMS_URL = url
    assert type(sms.get_backend()) is backend_class


def test_the_backend_follows_sms_url_at_each_call_and_is_built_once_per_value(settings):
    settings.SMS_URL = "locmem://"
    first = sms.get_backend()
    assert sms.get_backend() is first
    settings.SMS_URL = "dummy://"
    assert isinstance(sms.get_backend(), DummyBackend)
    settings.SMS_URL = "locmem://"
    assert sms.get_backend() is first
    sms.clear_cache()
    assert sms.get_backend() is not first


@pytest.mark.parametrize(("debug", "expected"), [(True, ConsoleBackend), (False, DummyBackend)])
def test_without_sms_url_development_logs_and_production_drops(settings, debug, expected):
    settings.DEBUG = debug
    settings.SMS_URL = ""
    assert type(sms.get_backend()) is expected
    del settings.SMS_URL
    assert type(sms.get_backend()) is expected


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("smtp://user:hunter2@mail.example.com", "unknown scheme 'smtp'"),
        ("sms://x", "unknown scheme 'sms'"),
        ("hunter2", "not a URL"),
        ("console", "not a URL"),
        ("user:hunter2@host", "not a URL"),
    ],
)
def test_an_unknown_scheme_is_refused_with_a_clear_message_that_keeps_secrets_out(
    settings, url, words
):
    settings.SMS_URL = url
    with pytest.raises(ImproperlyConfigured) as refused:
        sms.get_backend()
    message = str(refused.value)
    assert message.startswith("SMS_URL ")
    assert words in message
    assert "hunter2" not in message
    assert "locmem://, dummy://, http://, https://, aliyun://" in message  # the forms that work


def test_an_empty_url_is_refused_by_the_parser():
    with pytest.raises(ImproperlyConfigured, match="SMS_URL is empty"):
        config.parse("  ")


def test_user_and_password_are_percent_decoded():
    url = f"aliyun://{quote('LTAI/x@y', safe='')}:{quote(AWKWARD_SECRET, safe='')}@h?template=T"
    parsed = config.parse(url)
    assert (parsed.username, parsed.password) == ("LTAI/x@y", AWKWARD_SECRET)
    assert AWKWARD_SECRET not in repr(parsed)


@pytest.mark.parametrize(
    ("query", "seconds"), [("", 5.0), ("?timeout=0.5", 0.5), ("?timeout=", 5.0)]
)
def test_the_timeout_comes_from_the_url_and_defaults_to_five_seconds(query, seconds):
    assert config.build(f"http://127.0.0.1:9/sms{query}").timeout == seconds


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "1000", "nan"])
def test_a_nonsense_timeout_is_refused(bad):
    with pytest.raises(ImproperlyConfigured, match="timeout"):
        config.build(f"http://127.0.0.1:9/sms?timeout={bad}")


def test_an_invalid_port_is_refused():
    with pytest.raises(ImproperlyConfigured, match="port"):
        config.build("http://127.0.0.1:99999/sms")


def test_the_http_backend_requests_the_url_without_our_options_but_with_the_gateway_own():
    backend = config.build(
        "https://sms.example.gov.cn:8443/v1/send?token=s3cret&timeout=2&app=zqztc"
    )
    assert backend.endpoint == "https://sms.example.gov.cn:8443/v1/send?app=zqztc"
    assert backend.token == "s3cret"
    assert backend.timeout == 2.0
    assert "s3cret" not in repr(backend)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://user:pw@sms.example.gov.cn/send", "token"),
        ("http:///send", "no host"),
        ("aliyun://dysmsapi.aliyuncs.com?sign=S&template=T", "AccessKey"),
        ("aliyun://id:secret@dysmsapi.aliyuncs.com?sign=S", "template"),
        ("aliyun://id:secret@dysmsapi.aliyuncs.com?template=T", "sign"),
        ("aliyun://id:secret@dysmsapi.aliyuncs.com?sign=S&template=T&protocol=ftp", "protocol"),
    ],
)
def test_an_incomplete_url_is_refused_naming_what_is_missing(url, words):
    with pytest.raises(ImproperlyConfigured, match=words):
        config.build(url)


def test_the_aliyun_url_defaults_to_the_public_endpoint_over_https():
    backend = config.build("aliyun://id:secret@?sign=S&template=T")
    assert backend.endpoint == "dysmsapi.aliyuncs.com"
    assert backend.client._protocol == "https"
    assert "secret" not in repr(backend)


# -- phone numbers and messages -----------------------------------------------------------------


@pytest.mark.parametrize(
    "phone", [PHONE, NATIONAL, "+86 138 0013 8000", "138-0013-8000", "+86 19912345678"]
)
def test_a_mainland_mobile_number_in_e164_or_national_form_is_accepted(phone):
    assert national_mobile(phone) in (NATIONAL, "19912345678")


@pytest.mark.parametrize(
    "phone",
    [
        "+8612800138000",  # no mobile range starts with 12
        "1380013800",  # ten digits
        "138001380001",  # twelve
        "8613800138000",  # country code without +
        "+85291234567",  # Hong Kong
        "+1 202 555 0100",
        "010-12345678",  # a landline
        "1380013800O",  # letter O
        "",
    ],
)
def test_any_other_number_is_a_permanent_error_and_nothing_is_sent(settings, phone):
    settings.SMS_URL = "locmem://"
    with pytest.raises(SmsPermanentError, match="not a mainland mobile number"):
        sms.get_backend().send(phone, TEXT, key="k-1")
    assert locmem.outbox == []


def test_an_empty_text_is_permanent_and_a_missing_key_a_programming_error():
    backend = LocmemBackend()
    with pytest.raises(SmsPermanentError, match="empty"):
        backend.send(PHONE, "  ", key="k-1")
    with pytest.raises(ValueError, match="key"):
        backend.send(PHONE, TEXT, key="")
    assert locmem.outbox == []


# -- console, locmem, dummy ---------------------------------------------------------------------


def test_the_console_backend_writes_the_message_to_the_notices_sms_log(caplog):
    with caplog.at_level(logging.INFO, logger="notices.sms"):
        assert ConsoleBackend().send(PHONE, TEXT, key="k-1") == ""
    [record] = [r for r in caplog.records if r.name == "notices.sms"]
    logged = record.getMessage()
    assert NATIONAL in logged
    assert "k-1" in logged
    assert TEXT in logged


def test_the_locmem_backend_keeps_phone_text_and_key_in_its_outbox(settings):
    settings.SMS_URL = "locmem://"
    backend = sms.get_backend()
    assert backend.send(PHONE, TEXT, key="k-1") == "locmem-1"
    assert backend.send(NATIONAL, "second", key="k-2") == "locmem-2"
    assert locmem.outbox == [(PHONE, TEXT, "k-1"), (NATIONAL, "second", "k-2")]
    assert locmem.outbox[0].key == "k-1"


def test_the_dummy_backend_accepts_and_drops(settings):
    settings.SMS_URL = "dummy://"
    assert sms.get_backend().send(PHONE, TEXT, key="k-1") == ""
    assert locmem.outbox == []
    with pytest.raises(SmsPermanentError):
        sms.get_backend().send("12345", TEXT, key="k-1")


# -- the HTTP gateway -----------------------------------------------------------------------------


def test_the_http_backend_posts_the_message_with_its_key_token_and_sign(settings, gateway):
    settings.SMS_URL = gateway.sms_url()
    settings.SMS_SIGN = "政企直通车"
    assert sms.get_backend().send(PHONE, TEXT, key="delivery-42") == "gw-1"
    assert gateway.received == [Message(NATIONAL, TEXT, "delivery-42")]
    [call] = gateway.calls
    assert call.method == "POST"
    assert call.path == "/sms"  # the token travels in the header, not in the address
    assert call.headers["idempotency-key"] == "delivery-42"
    assert call.headers["authorization"] == "Bearer t0ken/+="
    assert call.headers["content-type"] == "application/json; charset=utf-8"
    assert json.loads(call.body) == {
        "phone": NATIONAL,
        "text": TEXT,
        "key": "delivery-42",
        "sign": "政企直通车",
    }


def test_without_sms_sign_the_body_has_no_sign(settings, gateway):
    settings.SMS_URL = gateway.sms_url()
    settings.SMS_SIGN = ""
    sms.get_backend().send(PHONE, TEXT, key="k-1")
    assert "sign" not in json.loads(gateway.calls[0].body)


def test_a_wrong_token_is_a_permanent_error(gateway):
    backend = config.build(gateway.sms_url().replace("t0ken", "stale"))
    with pytest.raises(SmsPermanentError, match="401"):
        backend.send(PHONE, TEXT, key="k-1")
    assert gateway.received == []


def test_the_gateway_own_query_parameters_reach_it(gateway):
    config.build(gateway.sms_url() + "&channel=gov").send(PHONE, TEXT, key="k-1")
    assert parse_qs(urlsplit(gateway.calls[0].path).query) == {"channel": ["gov"]}


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 429])
def test_server_errors_throttling_and_request_timeouts_are_temporary(gateway, status):
    backend = config.build(gateway.sms_url())
    gateway.fail_next(1, status, message="busy, try later")
    with pytest.raises(SmsTemporaryError, match=f"HTTP {status}: busy, try later"):
        backend.send(PHONE, TEXT, key="k-1")
    assert backend.send(PHONE, TEXT, key="k-1") == "gw-1"  # the next call goes through
    assert gateway.keys() == {"k-1": 1}


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_other_client_errors_are_permanent_with_the_gateway_message(gateway, status):
    backend = config.build(gateway.sms_url())
    gateway.fail_next(1, status, message="号码在黑名单中 " + "x" * 500)
    with pytest.raises(SmsPermanentError) as refused:
        backend.send(PHONE, TEXT, key="k-1")
    assert str(refused.value).startswith(f"HTTP {status}: 号码在黑名单中 xxx")
    assert len(str(refused.value)) <= len(f"HTTP {status}: ") + 200
    assert gateway.received == []


def test_a_redirect_is_not_followed_but_refused_as_a_configuration_error(gateway):
    backend = config.build(gateway.sms_url())
    gateway.fail_next(1, 302)
    with pytest.raises(SmsPermanentError, match=r"redirects to .*final address"):
        backend.send(PHONE, TEXT, key="k-1")
    assert len(gateway.calls) == 1  # not re-sent as a GET without the message
    assert gateway.received == []


def test_a_dropped_connection_is_temporary(gateway):
    backend = config.build(gateway.sms_url())
    gateway.fail_next(1, "close")
    with pytest.raises(SmsTemporaryError, match="unreachable"):
        backend.send(PHONE, TEXT, key="k-1")
    assert gateway.received == []


def test_a_refused_connection_is_temporary():
    backend = config.build(f"http://127.0.0.1:{free_port()}/sms")
    with pytest.raises(SmsTemporaryError, match="unreachable"):
        backend.send(PHONE, TEXT, key="k-1")


def test_a_gateway_that_does_not_answer_in_time_is_temporary(gateway):
    backend = config.build(gateway.sms_url(timeout=0.2))
    gateway.fail_next(1, "timeout")
    started = time.monotonic()
    with pytest.raises(SmsTemporaryError, match=r"did not answer within 0\.2 s"):
        backend.send(PHONE, TEXT, key="k-1")
    assert time.monotonic() - started < 1
    assert gateway.received == []


def test_a_resend_after_a_lost_answer_carries_the_same_key_so_the_gateway_can_drop_it(gateway):
    backend = config.build(gateway.sms_url(timeout=0.2))
    gateway.fail_next(1, "timeout-after-accept")
    with pytest.raises(SmsTemporaryError):
        backend.send(PHONE, TEXT, key="k-1")
    backend.send(PHONE, TEXT, key="k-1")
    # This gateway de-duplicates nothing: it shows what a real one would see.
    assert gateway.keys() == {"k-1": 2}
    assert [c.headers["idempotency-key"] for c in gateway.calls] == ["k-1", "k-1"]


# -- Alibaba Cloud --------------------------------------------------------------------------------


def test_the_aliyun_backend_sends_through_the_sdk_with_the_out_id(settings, aliyun):
    settings.SMS_URL = aliyun.sms_url(sign="政企直通车", template="SMS_123456")
    assert sms.get_backend().send(PHONE, TEXT, key="delivery-42") == "1^0"
    # The gateway checked the request's signature with AWKWARD_SECRET: the secret arrived intact.
    assert aliyun.received == [Message(NATIONAL, TEXT, "delivery-42")]
    [call] = aliyun.calls
    query = parse_qs(urlsplit(call.path).query)
    assert query["PhoneNumbers"] == [NATIONAL]
    assert query["OutId"] == ["delivery-42"]
    assert query["SignName"] == ["政企直通车"]
    assert query["TemplateCode"] == ["SMS_123456"]
    assert json.loads(query["TemplateParam"][0]) == {"text": TEXT}


def test_the_aliyun_sign_falls_back_to_sms_sign(settings, aliyun):
    settings.SMS_URL = aliyun.sms_url(sign="")
    settings.SMS_SIGN = "某市营商办"
    sms.get_backend().send(PHONE, TEXT, key="k-1")
    assert parse_qs(urlsplit(aliyun.calls[0].path).query)["SignName"] == ["某市营商办"]


def test_a_wrong_aliyun_secret_or_key_id_is_permanent(aliyun):
    backend = config.build(aliyun.sms_url())
    aliyun.access_key_secret = "rotated"
    with pytest.raises(SmsPermanentError, match="SignatureDoesNotMatch"):
        backend.send(PHONE, TEXT, key="k-1")
    aliyun.access_key_id = "LTAI-other"
    with pytest.raises(SmsPermanentError, match=r"InvalidAccessKeyId\.NotFound"):
        backend.send(PHONE, TEXT, key="k-1")
    assert aliyun.received == []


@pytest.mark.parametrize(
    "how",
    [
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "isv.AMOUNT_NOT_ENOUGH",
        "isp.SYSTEM_ERROR",
        "Throttling.User",
        "SomethingNew",  # unknown and not the caller's: retried (a bounded number of times)
        500,
        503,
        429,
        "close",
    ],
)
def test_aliyun_throttling_server_errors_and_network_failures_are_temporary(aliyun, how):
    backend = config.build(aliyun.sms_url())
    aliyun.fail_next(1, how, message="稍后再试")
    with pytest.raises(SmsTemporaryError):
        backend.send(PHONE, TEXT, key="k-1")
    assert backend.send(PHONE, TEXT, key="k-1") == "1^0"
    assert aliyun.keys() == {"k-1": 1}


@pytest.mark.parametrize(
    "how",
    [
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.SOME_FUTURE_CODE",  # any isv. code is the caller's fault
        "isp.RAM_PERMISSION_DENY",
        400,
    ],
)
def test_aliyun_invalid_number_template_sign_or_content_is_permanent(aliyun, how):
    backend = config.build(aliyun.sms_url())
    aliyun.fail_next(1, how, message="审核未通过")
    with pytest.raises(SmsPermanentError) as refused:
        backend.send(PHONE, TEXT, key="k-1")
    assert "审核未通过" in str(refused.value)
    assert aliyun.received == []


def test_aliyun_timeout_is_temporary(aliyun):
    backend = config.build(aliyun.sms_url(timeout=0.2))
    aliyun.fail_next(1, "timeout")
    started = time.monotonic()
    with pytest.raises(SmsTemporaryError, match="unreachable"):
        backend.send(PHONE, TEXT, key="k-1")
    assert time.monotonic() - started < 1


def test_aliyun_unreachable_is_temporary():
    backend = config.build(f"aliyun://id:s@127.0.0.1:{free_port()}?sign=S&template=T&protocol=http")
    with pytest.raises(SmsTemporaryError, match="unreachable"):
        backend.send(PHONE, TEXT, key="k-1")


def test_an_invalid_number_never_reaches_alibaba(aliyun):
    with pytest.raises(SmsPermanentError):
        config.build(aliyun.sms_url()).send("+85291234567", TEXT, key="k-1")
    assert aliyun.calls == []


# -- the test gateway itself (others build on it) -------------------------------------------------


def test_the_gateway_fails_a_reproducible_share_of_calls(gateway):
    backend = config.build(gateway.sms_url())
    outcomes = []
    for seed in (7, 7):
        gateway.reset()
        gateway.fail_fraction(0.3, 503, seed=seed)
        for n in range(40):
            with contextlib.suppress(SmsTemporaryError):
                backend.send(PHONE, TEXT, key=f"k-{n}")
        outcomes.append([c.outcome for c in gateway.calls])
    assert outcomes[0] == outcomes[1]
    assert 0 < outcomes[0].count("503") < 40
    assert len(gateway.received) == outcomes[0].count("accepted")


def test_closing_the_gateway_releases_a_hanging_answer_at_once():
    gateway = SmsGateway(hang=30).start()
    gateway.fail_next(1, "timeout")
    backend = config.build(gateway.sms_url(timeout=0.1))
    with pytest.raises(SmsTemporaryError):
        backend.send(PHONE, TEXT, key="k-1")
    started = time.monotonic()
    gateway.close()
    assert time.monotonic() - started < 1
    with pytest.raises(RuntimeError, match="not running"):
        gateway.sms_url()


def test_the_gateway_refuses_a_failure_it_cannot_play(gateway):
    with pytest.raises(ValueError, match="unknown failure"):
        gateway.fail_next(1, 200)
    with pytest.raises(ValueError, match="unknown failure"):
        gateway.fail_next(1, "explode")


def test_the_gateway_counts_keys_and_tells_when_messages_arrived(gateway):
    backend = config.build(gateway.sms_url())
    assert not gateway.wait_for(1, timeout=0.05)
    for key in ("a", "b", "a"):
        backend.send(PHONE, TEXT, key=key)
    assert gateway.wait_for(3, timeout=1)
    assert gateway.keys() == {"a": 2, "b": 1}
    gateway.reset()
    assert (gateway.received, gateway.calls, gateway.keys()) == ([], [], {})
