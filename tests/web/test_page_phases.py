"""Each phase renders its own controls (ObservedStatus set as the supervisor would)."""

from datetime import timedelta

import pytest
from django.utils import timezone

FRAGMENT = "/settings/tailscale/fragment/"


def fragment(client) -> str:
    response = client.get(FRAGMENT)
    assert response.status_code == 200
    return response.content.decode()


def beat():
    return timezone.now()


@pytest.mark.django_db
def test_disabled_shows_the_enable_form_with_the_saved_hostname(owner_client, desired):
    desired(hostname="saved-name")
    html = fragment(owner_client)
    assert 'value="saved-name"' in html and ">Enable</button>" in html
    assert 'type="password"' in html and "<summary>Advanced</summary>" in html
    assert 'data-fast-poll="false"' in html


@pytest.mark.django_db
def test_unavailable_explains_the_missing_binary(owner_client, observe):
    observe(phase="unavailable", last_error="tailscaled not found: /nope/tailscaled")
    html = fragment(owner_client)
    assert "TAILSCALED_BIN" in html and "/nope/tailscaled" in html
    assert ">Enable</button>" not in html


@pytest.mark.django_db
def test_starting_offers_cancel_and_polls_fast(owner_client, desired, observe):
    desired(enabled=True, hostname="web")
    observe(phase="starting", supervisor_heartbeat_at=beat())
    html = fragment(owner_client)
    assert "Starting Tailscale" in html and ">Cancel</button>" in html
    assert 'data-fast-poll="true"' in html


@pytest.mark.django_db
def test_a_fresh_enable_shows_starting_before_the_supervisor_acts(owner_client, desired):
    desired(enabled=True, hostname="web")
    assert "Starting Tailscale" in fragment(owner_client)


@pytest.mark.django_db
def test_needs_login_shows_the_authorize_link(owner_client, desired, observe):
    desired(enabled=True, hostname="web")
    observe(
        phase="needs_login",
        auth_url="https://login.tailscale.com/a/abc123",
        supervisor_heartbeat_at=beat(),
    )
    html = fragment(owner_client)
    assert "Waiting for authorization" in html
    assert (
        '<a class="button primary" href="https://login.tailscale.com/a/abc123" '
        'target="_blank" rel="noopener noreferrer">Authorize in Tailscale'
    ) in html
    assert ">Cancel</button>" in html


@pytest.mark.django_db
def test_needs_machine_auth_points_to_the_admin_console(owner_client, desired, observe):
    desired(enabled=True, hostname="web")
    observe(phase="needs_machine_auth", supervisor_heartbeat_at=beat())
    html = fragment(owner_client)
    assert "https://login.tailscale.com/admin/machines" in html and ">Cancel</button>" in html


@pytest.mark.django_db
def test_needs_machine_auth_points_to_a_custom_login_server(owner_client, desired, observe):
    desired(enabled=True, hostname="web", control_url="https://hs.example.com")
    observe(phase="needs_machine_auth", supervisor_heartbeat_at=beat())
    assert 'href="https://hs.example.com"' in fragment(owner_client)


@pytest.mark.django_db
def test_running_shows_addresses_and_both_confirmed_buttons(
    owner_client, desired, observe, settings
):
    settings.TAILSCALE_WEB_PORT = 3000
    desired(enabled=True, hostname="web")
    observe(
        phase="running",
        hostname="web",
        tailnet_ips=["100.64.0.7", "fd7a:115c:a1e0::7"],
        dns_name="web.tail1234.ts.net.",
        tailnet_name="example.com",
        tailscaled_version="1.102.3",
        key_expiry=timezone.now() + timedelta(days=90),
        supervisor_heartbeat_at=beat(),
    )
    html = fragment(owner_client)
    for text in [
        "100.64.0.7",
        "fd7a:115c:a1e0::7",
        "web.tail1234.ts.net",
        "example.com",
        "1.102.3",
    ]:
        assert text in html
    assert 'href="http://web.tail1234.ts.net:3000/"' in html
    assert html.count("data-confirm=") == 2
    assert ">Disable</button>" in html and ">Reset</button>" in html
    assert "key-expiry-warning" not in html
    assert 'data-fast-poll="false"' in html


@pytest.mark.django_db
def test_running_warns_when_the_key_expires_soon(owner_client, desired, observe):
    desired(enabled=True, hostname="web")
    observe(
        phase="running",
        key_expiry=timezone.now() + timedelta(days=3),
        supervisor_heartbeat_at=beat(),
    )
    assert "key-expiry-warning" in fragment(owner_client)


@pytest.mark.django_db
def test_restarting_shows_the_count_and_a_countdown(owner_client, desired, observe):
    desired(enabled=True, hostname="web")
    observe(
        phase="restarting",
        restart_count=3,
        next_retry_at=timezone.now() + timedelta(seconds=8),
        supervisor_heartbeat_at=beat(),
    )
    html = fragment(owner_client)
    assert "restart 3" in html and "data-countdown=" in html


@pytest.mark.django_db
def test_failed_shows_the_error_logs_retry_and_disable(owner_client, desired, observe):
    desired(enabled=True, hostname="web")
    observe(
        phase="failed",
        last_error="tailscaled exited 5 times",
        log_tail=["line a", "line b"],
        supervisor_heartbeat_at=beat(),
    )
    html = fragment(owner_client)
    assert "tailscaled exited 5 times" in html and "line b" in html
    assert ">Retry</button>" in html and ">Disable</button>" in html
    assert '<details class="logs">' in html


@pytest.mark.django_db
def test_it_warns_when_the_supervisor_heartbeat_is_stale(owner_client, desired, observe, settings):
    settings.TAILSCALE_HEALTHCHECK_INTERVAL = 30
    desired(enabled=True, hostname="web")
    observe(phase="running", supervisor_heartbeat_at=timezone.now() - timedelta(seconds=91))
    assert "The supervisor is not running" in fragment(owner_client)
    observe(supervisor_heartbeat_at=timezone.now())
    assert "The supervisor is not running" not in fragment(owner_client)


@pytest.mark.django_db
def test_it_warns_when_enabled_without_any_supervisor(owner_client, desired):
    desired(enabled=True, hostname="web")
    assert "The supervisor is not running" in fragment(owner_client)


@pytest.mark.django_db
def test_the_page_shows_the_demo_banner_and_wildcard_warning(owner_client, settings):
    settings.DEMO_MODE = True
    settings.TAILSCALE_WEB_BIND = "0.0.0.0"
    html = owner_client.get("/settings/tailscale/").content.decode()
    assert "Simulated tailnet (demo mode)" in html
    assert "listens on every network address" in html
    assert 'role="status" aria-live="polite"' in html


@pytest.mark.django_db
def test_the_page_has_no_banners_by_default(owner_client, settings):
    settings.DEMO_MODE = False
    settings.TAILSCALE_WEB_BIND = "127.0.0.1"
    html = owner_client.get("/settings/tailscale/").content.decode()
    assert "Simulated tailnet" not in html and "every network address" not in html
