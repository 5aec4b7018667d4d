"""Admit the node's own tailnet names as Host, and nothing else beyond ALLOWED_HOSTS.

Once connected, the app is reached as `http://<node>.<tailnet>.ts.net:PORT/`,
as `http://<node>:PORT/` (MagicDNS resolves the first label alone), by its
tailnet IPs, and through tailscaled's HTTPS front door as
`https://<node>.<tailnet>.ts.net/`: names only known at run time. Rather than
`*`, the middleware wraps `settings.ALLOWED_HOSTS` in a list that also yields
those names (read from ObservedStatus, cached for a few seconds). Django's own
`request.get_host()` then accepts them, and with it Django's CSRF check, which
trusts an Origin equal to the validated host with the request's scheme: pages
of the plain port post as `http://<node>:<port>`, pages of the front door as
`https://<dns-name>` (`frontdoor` makes those requests HTTPS).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import NamedTuple

from django.conf import settings
from django.core.signals import setting_changed
from django.db import DatabaseError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

CACHE_SECONDS = 5.0
DEBUG_HOSTS = (".localhost", "127.0.0.1", "[::1]")


class TailnetNames(NamedTuple):
    hosts: tuple[str, ...] = ()
    """Host values Django compares: the MagicDNS name, its first label, the IPs."""


def tailnet_names() -> TailnetNames:
    """The node's names, read from ObservedStatus."""
    from tailscale_sidecar.models import ObservedStatus

    row = ObservedStatus.objects.filter(pk=1).values("dns_name", "tailnet_ips").first()
    if not row:
        return TailnetNames()
    hosts = []
    dns_name = (row["dns_name"] or "").rstrip(".").lower()
    if dns_name:
        hosts.append(dns_name)
        label = dns_name.split(".", 1)[0]
        if label != dns_name:
            hosts.append(label)
    for ip in row["tailnet_ips"] or []:
        # Django matches an IPv6 Host with its brackets, as in "[::1]".
        hosts.append(f"[{ip}]" if ":" in ip else ip)
    return TailnetNames(tuple(hosts))


class TailnetAllowedHosts(list):
    """ALLOWED_HOSTS plus the tailnet names; the configured entries stay a plain list."""

    def __init__(
        self, configured: list[str], lookup: Callable[[], TailnetNames] = tailnet_names
    ) -> None:
        super().__init__(configured)
        self._lookup = lookup
        self._lock = threading.Lock()
        self._names = TailnetNames()
        self._expires = 0.0

    def names(self) -> TailnetNames:
        now = time.monotonic()
        if now < self._expires:
            return self._names
        with self._lock:
            if now >= self._expires:
                try:
                    self._names = self._lookup()
                except DatabaseError:
                    # Before migrations, or while the DB is down: configured hosts only.
                    self._names = TailnetNames()
                self._expires = now + CACHE_SECONDS
        return self._names

    def dynamic_names(self) -> tuple[str, ...]:
        return self.names().hosts

    def forget(self) -> None:
        """Drop the cache (tests, or after a known change)."""
        self._expires = 0.0

    def __iter__(self) -> Iterator[str]:
        yield from super().__iter__()
        yield from self.dynamic_names()

    def __contains__(self, item: object) -> bool:
        return item in tuple(self)


def install() -> TailnetAllowedHosts:
    """Wrap settings.ALLOWED_HOSTS once (idempotent)."""
    current = settings.ALLOWED_HOSTS
    if not isinstance(current, TailnetAllowedHosts):
        # Django's own fallback for an empty list under DEBUG, made explicit:
        # it applies only while the list is empty, which the wrapper never is.
        configured = list(current) or (list(DEBUG_HOSTS) if settings.DEBUG else [])
        current = TailnetAllowedHosts(configured)
        settings.ALLOWED_HOSTS = current
    return current


@receiver(setting_changed)
def _rewrap(*, setting: str, **kwargs: object) -> None:
    # A new ALLOWED_HOSTS (override_settings, pytest-django's `settings`)
    # is wrapped as it arrives; requests never write settings.
    if setting == "ALLOWED_HOSTS":
        install()


class TailnetHostsMiddleware:
    """Installs the wrapper when the web server loads its middleware, once."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        install()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)
