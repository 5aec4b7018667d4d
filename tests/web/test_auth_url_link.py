"""The Authorize link is offered only for Tailscale's login site or the configured login server."""

import pytest

from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.web.status import auth_url_allowed


def config(control_url: str = "") -> DesiredConfig:
    return DesiredConfig(control_url=control_url)


@pytest.mark.parametrize(
    "url",
    ["https://login.tailscale.com/a/abc", "https://tailscale.com/a/x", "https://x.tailscale.com/a"],
)
def test_it_allows_tailscale_login_urls(url, settings):
    settings.TAILSCALE_CONTROL_URL = ""
    assert auth_url_allowed(url, config())


@pytest.mark.parametrize(
    "url",
    [
        "http://login.tailscale.com/a/abc",
        "https://login.tailscale.com.evil.example/a/abc",
        "https://eviltailscale.com/a/abc",
        "https://user@login.tailscale.com/a/abc",
        "javascript:alert(1)",
        "https://hs.example.com/a/abc",
    ],
)
def test_it_refuses_other_urls(url, settings):
    settings.TAILSCALE_CONTROL_URL = ""
    assert not auth_url_allowed(url, config())


def test_it_allows_urls_under_the_configured_login_server(settings):
    settings.TAILSCALE_CONTROL_URL = ""
    assert auth_url_allowed("https://hs.example.com/a/abc", config("https://hs.example.com"))
    assert auth_url_allowed("http://127.0.0.1:9000/a/x", config("http://127.0.0.1:9000"))
    assert not auth_url_allowed("http://127.0.0.1:9001/a/x", config("http://127.0.0.1:9000"))
    assert not auth_url_allowed("https://hs.example.com/a/x", config("https://hs.example.com/hs"))


def test_it_allows_urls_under_the_deployment_login_server(settings):
    settings.TAILSCALE_CONTROL_URL = "http://127.0.0.1:9000"
    assert auth_url_allowed("http://127.0.0.1:9000/a/x", config())


@pytest.mark.django_db
def test_the_page_warns_instead_of_linking_a_foreign_url(owner_client, desired, observe, settings):
    settings.TAILSCALE_CONTROL_URL = ""
    desired(enabled=True, hostname="web")
    observe(phase="needs_login", auth_url="https://evil.example/a/abc")
    html = owner_client.get("/settings/tailscale/fragment/").content.decode()
    assert "evil.example" not in html
    assert "auth-url-blocked" in html and "Authorize in Tailscale" not in html
    api = owner_client.get("/api/v1/tailscale").json()
    assert api["auth_url"] is None


@pytest.mark.django_db
def test_the_api_gives_the_auth_url_only_while_needs_login(token_client, observe):
    observe(phase="needs_login", auth_url="https://login.tailscale.com/a/abc")
    assert token_client.get("/api/v1/tailscale").json()["auth_url"] == (
        "https://login.tailscale.com/a/abc"
    )
    observe(phase="running")
    assert token_client.get("/api/v1/tailscale").json()["auth_url"] is None
