"""How a request reached the app: the plain port, or tailscaled's HTTPS front door.

Userspace tailscaled hands every tailnet peer's connection to the plain port
(127.0.0.1:PORT) byte for byte, so a request there carries whatever
`X-Forwarded-*` or `Tailscale-User-*` headers the peer typed. Nothing believes
them: gunicorn trusts no forwarding address (`forwarded_allow_ips = ""`),
Django's `SECURE_PROXY_SSL_HEADER` stays unset, and `FrontDoorMiddleware`
removes those headers from plain requests before any view, or any library,
can read them, and logs the attempt.

Only a request that tailscaled's serve proxy made is trusted with them. It
carries the secret path prefix of `servepath` (the supervisor wrote it into
the serve config), which `FrontDoorWSGI` checks and strips before Django
routes the request, and before gunicorn writes its access log, so the secret
never reaches a log, a view or a redirect. Such a request is HTTPS (tailscaled
terminated TLS for the node's name): `request.is_secure()`, Django's CSRF and
security middleware and the cookie flags follow. HSTS stays off
(`SECURE_HSTS_SECONDS = 0`): a `*.ts.net` name can't be preloaded, and a
browser that remembered HSTS for it could no longer open the plain URL when
the tailnet's HTTPS is turned off.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse

from tailscale_sidecar import servepath

log = logging.getLogger("tailscale_sidecar.signin")

FORWARDED_PREFIX = "HTTP_X_FORWARDED_"
IDENTITY_PREFIX = "HTTP_TAILSCALE_"
# The WSGI environ key FrontDoorWSGI sets; no HTTP header can produce a key without HTTP_.
SERVE_PROXIED = "tailscale_sidecar.serve_proxied"
LOOPBACK = ("127.0.0.1", "::1")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def serve_proxied(request: HttpRequest) -> bool:
    """True only for a request tailscaled's serve proxy made (TLS ended there)."""
    return request.META.get(SERVE_PROXIED) is True


class FrontDoorWSGI:
    """Wraps the WSGI app: checks and strips the serve path before anything else sees it."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        found = servepath.split(environ.get("PATH_INFO", ""))
        if found is not None:
            given, rest = found
            address = environ.get("REMOTE_ADDR", "")
            if address not in LOOPBACK or not servepath.token_matches(given):
                log.warning("refused a request for the front door's path from %s", address)
                body = b"Not Found\n"
                start_response(
                    "404 Not Found",
                    [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
                )
                environ["RAW_URI"] = servepath.PREFIX + "…"
                return [body]
            environ["PATH_INFO"] = rest
            environ[SERVE_PROXIED] = True
            # gunicorn's access log reads these after the response: keep the token out.
            for key in ("RAW_URI", "REQUEST_URI"):
                if key in environ:
                    raw = str(environ[key])
                    environ[key] = raw.replace(servepath.PREFIX + given, "", 1) or "/"
        return self.app(environ, start_response)


def _peer_ip(value: str) -> str:
    """The peer's tailnet IP from tailscaled's X-Forwarded-For ('' when it is not one IP)."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return ""


class FrontDoorMiddleware:
    """First in MIDDLEWARE: the scheme and forwarding headers every later layer sees."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        if serve_proxied(request):
            # tailscaled sets X-Forwarded-Proto only under TLS; our handler is HTTPS only.
            meta["wsgi.url_scheme"] = "https"
            if peer := _peer_ip(meta.get("HTTP_X_FORWARDED_FOR", "")):
                meta["REMOTE_ADDR"] = peer
        else:
            forged = [key for key in meta if key.startswith(IDENTITY_PREFIX)]
            if forged:
                log.warning(
                    "refused identity headers (%s) on a plain request from %s: only "
                    "tailscaled's front door may set them",
                    ", ".join(sorted(key.removeprefix("HTTP_") for key in forged)),
                    meta.get("REMOTE_ADDR", ""),
                )
            for key in [key for key in meta if key.startswith(FORWARDED_PREFIX)] + forged:
                del meta[key]
        response = self.get_response(request)
        if request.is_secure():
            # Secure only here: the same cookies must still work on the plain
            # http://<name>:PORT/ URL, so the settings can't say it globally.
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response
