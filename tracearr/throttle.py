"""Slow down password guessing: 10 failed logins per client address and user
name within 15 minutes lock that pair out until the window ends.

Counters live in Django's cache (the default per-process memory cache unless
CACHES says otherwise), so no database writes happen on failed logins. With
several gunicorn workers each keeps its own count: the effective limit is
workers × 10, still far too few for guessing. Tailnet visitors all arrive from
127.0.0.1 (userspace tailscaled forwards to loopback), so for them the client
is their tailnet identity (login, or device for a tagged one, from
`request.tailnet_identity`): one peer can't lock another out.
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60


def _client(request: HttpRequest) -> str:
    identity = getattr(request, "tailnet_identity", None)
    if identity is not None:
        return f"tailnet:{identity.login or identity.device}"
    return request.META.get("REMOTE_ADDR", "")


def _key(request: HttpRequest, username: str) -> str:
    return f"login-failures:{_client(request)}:{username.strip().lower()}"


def is_locked_out(request: HttpRequest, username: str) -> bool:
    return cache.get(_key(request, username), 0) >= MAX_FAILURES


def record_failure(request: HttpRequest, username: str) -> None:
    key = _key(request, username)
    # add() starts the window on the first failure; incr() keeps its expiry.
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=WINDOW_SECONDS)


def clear_failures(request: HttpRequest, username: str) -> None:
    cache.delete(_key(request, username))
