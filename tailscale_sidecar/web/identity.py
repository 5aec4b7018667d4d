"""Who the tailnet says a visitor is, from nothing a local or LAN client could forge.

Two ways in, two proofs:
- through the HTTPS front door (`frontdoor.serve_proxied`), tailscaled's serve
  proxy has already removed any client-sent `Tailscale-User-*` headers and set
  its own, for peers owned by a user (tagged devices get none);
- on the plain port, a tailnet peer's connection arrives from
  `127.0.0.1:<port>`, and `whois` on exactly that address (the socket's own
  peer, from the WSGI environ) names it through tailscaled's ProxyMapper, for
  as long as the connection is open. A local client's connection has no entry
  (404), and a LAN client's address is never asked about: a LAN host may well
  use a 100.64/10 address that whois would match to a tailnet peer.

The whois answer is cached per connection (gunicorn's socket object), never per
user or address: a port is reused by another peer once the connection closes.
"""

from __future__ import annotations

import dataclasses
import email.header
import logging
import threading
import weakref
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from tailscale_sidecar import rundir
from tailscale_sidecar.localapi import LocalAPIClient, LocalAPIError, LocalAPITimeout
from tailscale_sidecar.web.frontdoor import serve_proxied

log = logging.getLogger("tailscale_sidecar.signin")

# whois is a map lookup in tailscaled; anything slower means it is busy or hung,
# and a page must not wait on it.
WHOIS_TIMEOUT = 1.0


@dataclass(frozen=True)
class TailnetIdentity:
    login: str  # "" for a tagged device: it has no user
    display_name: str
    device: str  # the peer's MagicDNS name, when known
    address: str  # the peer's tailnet IP
    tags: tuple[str, ...]
    via: str  # "https" (the front door) or "tailnet" (the plain port)

    @property
    def tagged(self) -> bool:
        return bool(self.tags)

    def describe(self) -> str:
        """For the audit log and the login page: who, from which device and address."""
        who = self.login or f"tagged device ({', '.join(self.tags)})"
        where = ", ".join(part for part in (self.device, self.address) if part)
        return f"{who} ({where})" if where else who


def identify(request: HttpRequest) -> TailnetIdentity | None:
    """The visitor's tailnet identity, or None when the tailnet can't vouch for one."""
    if serve_proxied(request):
        return _from_serve_headers(request)
    meta = request.META
    if meta.get("REMOTE_ADDR") != "127.0.0.1" or not meta.get("REMOTE_PORT"):
        return None
    return _whois_for_connection(meta, f"127.0.0.1:{meta['REMOTE_PORT']}")


def _decode(value: str) -> str:
    """The value as tailscaled sent it: RFC 2047 Q-encoded when not plain ASCII."""
    if "=?" not in value:
        return value
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except (ValueError, LookupError, UnicodeDecodeError):
        return ""


def _from_serve_headers(request: HttpRequest) -> TailnetIdentity | None:
    meta = request.META
    login = _decode(meta.get("HTTP_TAILSCALE_USER_LOGIN", "")).strip()
    if not login:
        return None  # a tagged device, or a funnel request: no user to sign in
    return TailnetIdentity(
        login=login,
        display_name=_decode(meta.get("HTTP_TAILSCALE_USER_NAME", "")),
        device="",  # the headers name the user, not the device: see with_device()
        address=meta.get("REMOTE_ADDR", ""),  # the peer's IP (frontdoor took X-Forwarded-For)
        tags=(),
        via="https",
    )


def with_device(identity: TailnetIdentity) -> TailnetIdentity:
    """The identity with its device's name, asked of whois by the peer's tailnet IP.

    Only for a sign-in's audit line: anonymous requests through the front door
    must not cost a LocalAPI call each.
    """
    if identity.device or not identity.address:
        return identity
    node = _whois(identity.address).get("Node") or {}
    return dataclasses.replace(identity, device=str(node.get("Name") or "").rstrip("."))


_cache: weakref.WeakKeyDictionary[Any, TailnetIdentity | None] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def _whois_for_connection(meta: dict[str, Any], addr: str) -> TailnetIdentity | None:
    connection = meta.get("gunicorn.socket")
    if connection is not None:
        with _cache_lock:
            if connection in _cache:
                return _cache[connection]
    identity = _identity_from_whois(_whois(addr))
    if connection is not None:
        with _cache_lock:
            _cache[connection] = identity
    return identity


def _identity_from_whois(answer: dict[str, Any]) -> TailnetIdentity | None:
    node = answer.get("Node")
    if not isinstance(node, dict):
        return None
    tags = tuple(str(tag) for tag in node.get("Tags") or ())
    profile = answer.get("UserProfile") or {}
    addresses = [str(a).split("/")[0] for a in node.get("Addresses") or ()]
    return TailnetIdentity(
        # A tagged node's profile is the "tagged-devices" pseudo-user: no login.
        login="" if tags else str(profile.get("LoginName") or ""),
        display_name="" if tags else str(profile.get("DisplayName") or ""),
        device=str(node.get("Name") or "").rstrip("."),
        address=addresses[0] if addresses else "",
        tags=tags,
        via="tailnet",
    )


_client: LocalAPIClient | None = None
_client_lock = threading.Lock()


def _whois(addr: str) -> dict[str, Any]:
    """tailscaled's answer for `addr`; {} when it names nobody or can't be asked."""
    global _client
    path = rundir.socket_path(rundir.TAILSCALED_SOCKET)
    if not path.exists():
        return {}  # Tailscale is off: nobody arrives from the tailnet
    with _client_lock:
        if _client is None or _client.socket_path != str(path):
            _client = LocalAPIClient(path, timeout=WHOIS_TIMEOUT)
        client = _client
    try:
        return client.whois(addr)
    except LocalAPITimeout as exc:
        log.warning("whois %s: %s", addr, exc)  # a hung tailscaled slows every new visitor
        return {}
    except LocalAPIError as exc:
        # 404: nobody (a local client); unreachable: tailscaled is stopped or restarting.
        log.debug("whois %s: %s", addr, exc)
        return {}
