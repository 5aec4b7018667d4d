"""The path only tailscaled's serve proxy knows: how the web tells a front-door request.

tailscaled's HTTPS front door (`serve`) terminates TLS for the node's name and
proxies to the web server on 127.0.0.1:PORT, the same address where every
tailnet peer's plain connection arrives, byte for byte. So "from loopback"
proves nothing, and neither does any header: a peer on the plain port, a LAN
client or any local process can send `Tailscale-User-Login` itself.

The proof is a secret in the proxy target. The supervisor writes the handler
as `http://127.0.0.1:PORT/.tailscale-serve/<token>`; tailscaled's reverse
proxy puts that path in front of every request it forwards (httputil's
SetURL joins the two paths). The token is an HMAC of SECRET_KEY, so the
supervisor and the web agree on it without sharing anything else, and it
lives only in the serve config (readable through the LocalAPI socket, which
is in a 0700 directory of the app's user) and in tailscaled's state, which is
stored encrypted. Whoever knows SECRET_KEY could forge sessions anyway.

A unix socket target (`unix:/path`) would need no secret, but tailscaled
accepts one only from root or a sudo-capable operator (401 otherwise), and
this app runs tailscaled unprivileged.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

PREFIX = "/.tailscale-serve/"


def token() -> str:
    """The secret path segment (hex); the same in every process that shares SECRET_KEY."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, b"tailscale-serve-front-door", hashlib.sha256).hexdigest()[:40]


def proxy_target(port: int) -> str:
    """The `Proxy` value of the front door's handler."""
    return f"http://127.0.0.1:{port}{PREFIX}{token()}"


def is_front_door_target(proxy: str) -> bool:
    """A handler this app wrote (for any port or token: an old SECRET_KEY's counts too)."""
    return proxy.startswith("http://127.0.0.1:") and PREFIX in proxy


def split(path: str) -> tuple[str, str] | None:
    """(token given, the rest of the path) for a path under PREFIX; None for any other."""
    if not path.startswith(PREFIX):
        return None
    given, _, rest = path[len(PREFIX) :].partition("/")
    return given, "/" + rest


def token_matches(given: str) -> bool:
    return hmac.compare_digest(given.encode(), token().encode())
