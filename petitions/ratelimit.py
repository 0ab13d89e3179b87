"""Limits on portal submissions, sign-ups and SMS codes, per account and per client address.

Fixed one-hour windows counted in the Django cache: one key per (action, who, window).
`cache.add` creates a key with its expiry only when it is missing and `cache.incr` is atomic on
Redis and on the local-memory cache, so two requests racing for the last place cannot both get it.
A refused attempt is taken back out of the count, so waiting is all it takes.

The limiter fails open: when the cache cannot be reached (Redis down, restarting, unreachable),
the attempt is allowed and a warning is logged on the "petitions.ratelimit" logger, once for each
attempt that could not be counted. A limit is a guard against abuse, not a reason to turn away a
firm's petition (docs/jobs.md, "Redis down").

Use the Redis cache in production (REDIS_URL): the local-memory cache counts per process.
The client address is the one django-axes uses for login lock-outs, so the same proxy setting
(AXES_BEHIND_PROXY) applies to both.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

log = logging.getLogger("petitions.ratelimit")

T = TypeVar("T")


class CacheUnavailable(Exception):
    """The cache could not be asked; the original error is the cause."""


@dataclass(frozen=True)
class Rule:
    action: str
    per_account: int | None
    per_ip: int | None
    window: int = 3600


def rule(action: str) -> Rule:
    """The limits in force for an action, read from settings at call time (tests may change them)."""
    window = getattr(settings, "PORTAL_RATE_WINDOW", 3600)
    if action == "submit":
        return Rule(
            action,
            getattr(settings, "PORTAL_SUBMIT_PER_ACCOUNT", 10),
            getattr(settings, "PORTAL_SUBMIT_PER_IP", 30),
            window,
        )
    if action == "signup":
        return Rule(action, None, getattr(settings, "PORTAL_SIGNUP_PER_IP", 10), window)
    if action == "reset_code":
        # SMS password-reset codes: per address only, since the asker is not signed in.
        return Rule(action, None, getattr(settings, "PORTAL_RESET_CODE_PER_IP", 10), window)
    raise ValueError(f"no rate limit for {action!r}")


def _guarded(call: Callable[..., T], *args: object, **kwargs: object) -> T:
    """One cache call; any failure but the cache's own "no such key" (ValueError) means the cache
    is unavailable. Broad on purpose: each backend raises its own errors (redis.ConnectionError,
    redis.TimeoutError, socket errors, a misconfigured location), and none may refuse a petition."""
    try:
        return call(*args, **kwargs)
    except ValueError:
        raise
    except Exception as exc:
        raise CacheUnavailable(f"{type(exc).__name__}: {exc}") from exc


def _incr(key: str, timeout: int) -> int:
    _guarded(cache.add, key, 0, timeout=timeout)
    try:
        return _guarded(cache.incr, key)
    except ValueError:  # the key expired between add and incr: start the window again
        _guarded(cache.add, key, 0, timeout=timeout)
        return _guarded(cache.incr, key)


def _keys(request: HttpRequest, limits: Rule, now: float) -> list[tuple[str, int]]:
    window = int(now // limits.window)
    keys = []
    if limits.per_account is not None and request.user.is_authenticated:
        keys.append((f"rl:{limits.action}:user:{request.user.pk}:{window}", limits.per_account))
    if limits.per_ip is not None:
        ip = get_client_ip_address(request) or "unknown"
        keys.append((f"rl:{limits.action}:ip:{ip}:{window}", limits.per_ip))
    return keys


def _count(keys: list[tuple[str, int]], window: int) -> bool:
    counted: list[str] = []
    for key, limit in keys:
        counted.append(key)
        if _incr(key, window) > limit:
            break
    else:
        return True
    for key in counted:
        try:
            _guarded(cache.decr, key)
        except ValueError:  # expired meanwhile: nothing to take back
            pass
        except CacheUnavailable as exc:
            # The limit was reached, so the refusal stands; the count merely stays one higher.
            log.warning("rate limit key %r not taken back: the cache is unavailable (%s)", key, exc)
    return False


def hit(request: HttpRequest, action: str, *, now: float | None = None) -> bool:
    """Count one `action` by this account and address; False when a limit is already reached.

    True, with a warning in the log, when the cache cannot be reached (fails open)."""
    limits = rule(action)
    keys = _keys(request, limits, time.time() if now is None else now)
    try:
        return _count(keys, limits.window)
    except CacheUnavailable as exc:
        log.warning(
            "rate limit %r not checked, allowed: the cache is unavailable (%s)", action, exc
        )
        return True
