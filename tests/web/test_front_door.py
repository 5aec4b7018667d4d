"""Forwarding headers count for nothing on the plain port; HTTPS responses get Secure cookies.

Every tailnet peer reaches the plain port through userspace tailscaled, from
127.0.0.1, with whatever headers it typed. The first tests start gunicorn as
deployed (deploy/gunicorn.conf.py) and send those headers over a real socket;
the last ones stand in for a request tailscaled's serve proxy made
(`frontdoor.serve_proxied`, proven in issue #11 §3).
"""

from __future__ import annotations

import re

import httpx
import pytest
from django.test import Client

from tailscale_sidecar.models import ObservedStatus
from tailscale_sidecar.web import frontdoor
from tests.web.conftest import PASSWORD

FORGED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Ssl": "on",
    "X-Forwarded-Protocol": "ssl",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-For": "100.64.0.9",
}


def log_in(base: str, host: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """A browser's login on `host`: the form, then its post with the page's own Origin."""
    with httpx.Client(base_url=base, headers={"Host": host, **(headers or {})}, timeout=10) as c:
        page = c.get("/login/")
        assert page.status_code == 200, page.text[:500]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token
        return c.post(
            "/login/",
            data={
                "username": "owner",
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1),
            },
            headers={"Origin": f"http://{host}"},
        )


@pytest.fixture
def connected_server(web_server, django_user_model, settings):
    # A hash gunicorn's own settings can check (the tests' MD5 is not among them).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    django_user_model.objects.create_user("owner", password=PASSWORD, is_staff=True)
    ObservedStatus.write(
        phase="running", dns_name="web.tail1234.ts.net.", tailnet_ips=["100.64.0.7"]
    )
    return web_server()


def test_the_short_magicdns_name_is_admitted_and_signs_in(connected_server):
    host = f"web:{connected_server.port}"
    health = connected_server.url + "/api/v1/health"
    assert httpx.get(health, headers={"Host": host}).status_code == 200
    assert httpx.get(health, headers={"Host": "other:3000"}).status_code == 400

    signed_in = log_in(connected_server.url, host)

    assert signed_in.status_code == 302, signed_in.text[:500]
    assert "sessionid" in signed_in.cookies


def test_forged_forwarding_headers_on_the_plain_port_make_nothing_https(connected_server):
    host = f"web.tail1234.ts.net:{connected_server.port}"

    signed_in = log_in(connected_server.url, host, headers=FORGED)

    assert signed_in.status_code == 302, signed_in.text[:500]
    # Django would send the cookie Secure on a request it took for HTTPS, and
    # would redirect to the forged host if it believed X-Forwarded-Host.
    cookie = signed_in.headers["set-cookie"]
    assert "sessionid=" in cookie
    assert "secure" not in cookie.lower()
    assert "evil.example" not in signed_in.headers["location"]
    assert "strict-transport-security" not in signed_in.headers


def test_the_check_sees_it_when_gunicorn_is_told_to_trust_loopback(web_server, django_user_model):
    # The hazard the default removes, and proof the test above can fail:
    # trusting 127.0.0.1 trusts every tailnet peer on the plain port.
    django_user_model.objects.create_user("owner", password=PASSWORD, is_staff=True)
    server = web_server(FORWARDED_ALLOW_IPS="127.0.0.1")

    page = httpx.get(server.url + "/login/", headers=FORGED, timeout=10)

    assert page.status_code == 200
    assert "csrftoken=" in page.headers["set-cookie"]
    assert "secure" in page.headers["set-cookie"].lower()


@pytest.mark.django_db
def test_a_plain_request_loses_its_forwarding_headers_before_any_view(rf):
    seen = {}

    def view(request):
        seen.update(request.META)
        return frontdoor.HttpResponse("ok")

    request = rf.get("/", HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="100.64.0.9")
    frontdoor.FrontDoorMiddleware(view)(request)

    assert not [key for key in seen if key.startswith("HTTP_X_FORWARDED_")]
    assert seen["wsgi.url_scheme"] == "http"


@pytest.fixture
def through_serve(monkeypatch):
    """Every request counts as one tailscaled's serve proxy made."""
    monkeypatch.setattr(frontdoor, "serve_proxied", lambda request: True)


@pytest.mark.django_db
def test_a_serve_proxied_request_is_https_with_secure_cookies_and_no_hsts(through_serve, owner):
    client = Client(HTTP_HOST="127.0.0.1")

    response = client.post("/login/", {"username": "owner", "password": PASSWORD})

    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] is True
    assert response.cookies["csrftoken"]["secure"] is True
    assert "Strict-Transport-Security" not in response.headers
    assert response.wsgi_request.is_secure()


@pytest.mark.django_db
def test_a_plain_request_keeps_cookies_usable_over_http(owner):
    response = Client().post("/login/", {"username": "owner", "password": PASSWORD})

    assert response.status_code == 302
    assert not response.cookies["sessionid"]["secure"]
