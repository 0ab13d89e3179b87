"""Limits on portal submissions and sign-ups, per account and per client address.

Fixed one-hour windows counted in the Django cache: one key per (action, who, window).
`cache.add` creates a key with its expiry only when it is missing and `cache.incr` is atomic on
Redis and on the local-memory cache, so two requests racing for the last place cannot both get it.
A refused attempt is taken back out of the count, so waiting is all it takes.

Use the Redis cache in production (REDIS_URL): the local-memory cache counts per process.
The client address is the one django-axes uses for login lock-outs, so the same proxy setting
(AXES_BEHIND_PROXY) applies to both.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


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
    raise ValueError(f"no rate limit for {action!r}")


def _incr(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add and incr: start the window again
        cache.add(key, 0, timeout=timeout)
        return cache.incr(key)


def _keys(request: HttpRequest, limits: Rule, now: float) -> list[tuple[str, int]]:
    window = int(now // limits.window)
    keys = []
    if limits.per_account is not None and request.user.is_authenticated:
        keys.append((f"rl:{limits.action}:user:{request.user.pk}:{window}", limits.per_account))
    if limits.per_ip is not None:
        ip = get_client_ip_address(request) or "unknown"
        keys.append((f"rl:{limits.action}:ip:{ip}:{window}", limits.per_ip))
    return keys


def hit(request: HttpRequest, action: str, *, now: float | None = None) -> bool:
    """Count one `action` by this account and address; False when a limit is already reached."""
    limits = rule(action)
    counted: list[str] = []
    allowed = True
    for key, limit in _keys(request, limits, time.time() if now is None else now):
        counted.append(key)
        if _incr(key, limits.window) > limit:
            allowed = False
            break
    if not allowed:
        for key in counted:
            with contextlib.suppress(ValueError):  # expired meanwhile: nothing to take back
                cache.decr(key)
    return allowed
