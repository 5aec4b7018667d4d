"""GET /api/v1/tailscale: every documented field, read from the database cheaply."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tailscale_sidecar.web.status import StatusOut, load_status

# The schema is the one definition of the fields; the API must send every one.
FIELDS = set(StatusOut.model_fields)


@pytest.mark.django_db
def test_it_reports_a_running_node(token_client, desired, observe, settings):
    settings.TAILSCALE_WEB_PORT = 3000
    desired(enabled=True, hostname="web")
    observe(
        phase="running",
        hostname="web",
        tailnet_ips=["100.64.0.7", "fd7a:115c:a1e0::7"],
        dns_name="web.tail1234.ts.net.",
        tailnet_name="example.com",
        key_expiry=timezone.now() + timedelta(days=2),
        tailscaled_version="1.102.3",
        supervisor_heartbeat_at=timezone.now(),
    )
    body = token_client.get("/api/v1/tailscale").json()
    assert set(body) == FIELDS
    assert body["ipv4"] == "100.64.0.7" and body["ipv6"] == "fd7a:115c:a1e0::7"
    assert body["dns_name"] == "web.tail1234.ts.net"
    assert body["url"] == "http://web.tail1234.ts.net:3000/"
    assert body["key_expiry_warning"] is True
    assert body["supervisor_alive"] is True


@pytest.mark.django_db
def test_reading_the_status_takes_two_queries(desired, observe, django_assert_max_num_queries):
    desired(hostname="web")
    observe(phase="disabled")
    with django_assert_max_num_queries(2):
        load_status()


@pytest.mark.django_db
def test_polling_the_api_with_a_token_stays_cheap(
    token_client, desired, observe, django_assert_max_num_queries
):
    desired(hostname="web")
    observe(phase="disabled")
    token_client.get("/api/v1/tailscale")  # records last_used_at once
    with django_assert_max_num_queries(3):  # the token lookup + two rows
        assert token_client.get("/api/v1/tailscale").status_code == 200
