"""The tailnet DNS name and IPs become valid Host values once connected; nothing else does."""

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tailscale_sidecar.web.frontdoor import SERVE_PROXIED
from tailscale_sidecar.web.middleware import TailnetAllowedHosts, TailnetNames, install


def forget_names():
    install().forget()


@pytest.fixture
def connected(observe):
    observe(phase="running", dns_name="web.tail1234.ts.net.", tailnet_ips=["100.64.0.7", "fd7a::7"])
    forget_names()


@pytest.mark.django_db
def test_it_refuses_the_tailnet_name_before_connecting():
    response = Client(HTTP_HOST="web.tail1234.ts.net:3000").get("/api/v1/health")
    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize(
    "host", ["web.tail1234.ts.net:3000", "web:3000", "100.64.0.7:3000", "[fd7a::7]:3000"]
)
def test_it_accepts_the_tailnet_names_once_connected(connected, host):
    assert Client(HTTP_HOST=host).get("/api/v1/health").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "host", ["evil.example", "other.tail1234.ts.net", "other", "tail1234", "100.64.0.8"]
)
def test_it_still_refuses_other_hosts(connected, host):
    assert Client(HTTP_HOST=host).get("/api/v1/health").status_code == 400


@pytest.mark.django_db
def test_it_never_allows_every_host(connected):
    assert "*" not in list(django_settings.ALLOWED_HOSTS)


@pytest.mark.django_db
def test_a_same_origin_form_post_on_the_tailnet_name_passes_csrf(connected, owner):
    host = "web.tail1234.ts.net:3000"
    client = Client(enforce_csrf_checks=True, HTTP_HOST=host)
    client.force_login(owner)
    client.get("/settings/tailscale/")
    token = client.cookies["csrftoken"].value
    ok = client.post(
        "/settings/tailscale/disable/",
        {"csrfmiddlewaretoken": token},
        headers={"Origin": f"http://{host}"},
    )
    assert ok.status_code == 302
    refused = client.post(
        "/settings/tailscale/disable/",
        {"csrfmiddlewaretoken": token},
        headers={"Origin": "http://evil.example"},
    )
    assert refused.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["web:3000", "web.tail1234.ts.net"])
def test_a_form_post_from_the_short_name_and_the_https_front_door_passes_csrf(
    connected, owner, host
):
    # http://web:3000 (MagicDNS short name) posts with its own origin; a page
    # served at https://web.tail1234.ts.net/ reaches the app through the front
    # door (the environ mark FrontDoorWSGI sets), as HTTPS.
    front_door = host != "web:3000"
    origin = "https://web.tail1234.ts.net" if front_door else "http://web:3000"
    extra = {SERVE_PROXIED: True} if front_door else {}
    client = Client(enforce_csrf_checks=True, HTTP_HOST=host, **extra)
    client.force_login(owner)
    client.get("/settings/tailscale/")
    token = client.cookies["csrftoken"].value

    ok = client.post(
        "/settings/tailscale/disable/", {"csrfmiddlewaretoken": token}, headers={"Origin": origin}
    )
    assert ok.status_code == 302

    for wrong in ("https://web", "https://web.tail1234.ts.net:3000", "https://evil.example"):
        refused = client.post(
            "/settings/tailscale/disable/",
            {"csrfmiddlewaretoken": token},
            headers={"Origin": wrong},
        )
        assert refused.status_code == 403, wrong


@pytest.mark.django_db
def test_the_https_origin_is_refused_on_the_plain_port(connected, owner):
    # A plain request is http, whatever its Origin claims: a page of another
    # scheme is another origin.
    client = Client(enforce_csrf_checks=True, HTTP_HOST="web.tail1234.ts.net")
    client.force_login(owner)
    client.get("/settings/tailscale/")
    token = client.cookies["csrftoken"].value

    refused = client.post(
        "/settings/tailscale/disable/",
        {"csrfmiddlewaretoken": token},
        headers={"Origin": "https://web.tail1234.ts.net"},
    )
    assert refused.status_code == 403


@pytest.mark.django_db
def test_the_https_origin_is_not_trusted_before_connecting(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get("/settings/tailscale/")
    refused = client.post(
        "/settings/tailscale/disable/",
        {"csrfmiddlewaretoken": client.cookies["csrftoken"].value},
        headers={"Origin": "https://web.tail1234.ts.net"},
    )
    assert refused.status_code == 403


def test_it_reads_the_names_only_every_few_seconds():
    calls = []

    def lookup():
        calls.append(1)
        return TailnetNames(("web.tail1234.ts.net",))

    hosts = TailnetAllowedHosts(["localhost"], lookup=lookup)
    for _ in range(50):
        assert list(hosts) == ["localhost", "web.tail1234.ts.net"]
    assert len(calls) == 1


@pytest.mark.django_db
def test_an_overridden_allowed_hosts_still_admits_the_tailnet_names(connected, settings):
    # Wrapped when the new value arrives, not by the next request.
    settings.ALLOWED_HOSTS = ["app.example.org"]
    assert isinstance(django_settings.ALLOWED_HOSTS, TailnetAllowedHosts)
    forget_names()
    assert Client(HTTP_HOST="web.tail1234.ts.net:3000").get("/api/v1/health").status_code == 200
    assert Client(HTTP_HOST="app.example.org").get("/api/v1/health").status_code == 200
    assert Client(HTTP_HOST="evil.example").get("/api/v1/health").status_code == 400
