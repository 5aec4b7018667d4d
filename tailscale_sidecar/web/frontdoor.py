"""How a request reached the app: the plain port, or tailscaled's HTTPS front door.

Userspace tailscaled hands every tailnet peer's connection to the plain port
(127.0.0.1:PORT) byte for byte, so a request there carries whatever
`X-Forwarded-*` headers the peer typed. Nothing believes them: gunicorn trusts
no forwarding address (`forwarded_allow_ips = ""`), Django's
`SECURE_PROXY_SSL_HEADER` stays unset, and this middleware removes the headers
from plain requests before any view, or any library, can read them.

Only a request that tailscaled's serve proxy made is HTTPS (it terminated TLS
for the node's name). `serve_proxied()` is the one place that decides it; for
those requests the middleware sets the WSGI scheme to https, so
`request.is_secure()`, Django's CSRF and security middleware and the cookie
flags below all follow. HSTS stays off (`SECURE_HSTS_SECONDS = 0`): a
`*.ts.net` name can't be preloaded, and a browser that remembered HSTS for it
could no longer open the plain URL when the tailnet's HTTPS is turned off.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

FORWARDED_PREFIX = "HTTP_X_FORWARDED_"


def serve_proxied(request: HttpRequest) -> bool:
    """True only for a request tailscaled's serve proxy made (TLS ended there).

    It must rest on something a local, LAN or tailnet-plain client cannot
    forge; a header alone never qualifies. Until that proof is in place
    (issue #11 §3), no request qualifies: the HTTPS front door then works as
    plain HTTP behind TLS (its Origin is trusted by the CSRF check, see
    `middleware.TailnetCsrfViewMiddleware`), without the Secure cookie flag.
    """
    return False


class FrontDoorMiddleware:
    """First in MIDDLEWARE: the scheme and forwarding headers every later layer sees."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if serve_proxied(request):
            request.META["wsgi.url_scheme"] = "https"
        else:
            for key in [key for key in request.META if key.startswith(FORWARDED_PREFIX)]:
                del request.META[key]
        response = self.get_response(request)
        if request.is_secure():
            # Secure only here: the same cookies must still work on the plain
            # http://<name>:PORT/ URL, so the settings can't say it globally.
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response
