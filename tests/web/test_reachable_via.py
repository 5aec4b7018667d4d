"""The status says how the app can be reached now, and the page says it when the node is off
the tailnet; the supervisor logs the same words when it drops off."""

import logging

import pytest
from django.utils import timezone

from tailscale_sidecar.models import Phase
from tailscale_sidecar.supervisor.timeline import Timeline


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("phase", "https_url", "bind", "expected"),
    [
        (
            "running",
            "https://web.tail1234.ts.net/",
            "127.0.0.1",
            ["tailnet-https", "tailnet", "loopback"],
        ),
        ("running", "", "127.0.0.1", ["tailnet", "loopback"]),
        ("running", "", "0.0.0.0", ["tailnet", "lan", "loopback"]),
        ("needs_login", "https://web.tail1234.ts.net/", "0.0.0.0", ["lan", "loopback"]),
        ("restarting", "", "127.0.0.1", ["loopback"]),
    ],
)
def test_reachable_via(token_client, desired, observe, settings, phase, https_url, bind, expected):
    settings.TAILSCALE_WEB_BIND = bind
    desired(enabled=True, hostname="web")
    observe(phase=phase, https_url=https_url, dns_name="web.tail1234.ts.net", node_id="n1")

    assert token_client.get("/api/v1/tailscale").json()["reachable_via"] == expected


@pytest.mark.django_db
def test_the_page_says_it_when_the_node_is_off_the_tailnet(
    owner_client, desired, observe, settings
):
    settings.TAILSCALE_WEB_BIND = "0.0.0.0"
    desired(enabled=True, hostname="web")
    observe(phase="restarting", supervisor_heartbeat_at=timezone.now())
    page = owner_client.get("/settings/tailscale/").content.decode()
    assert (
        "Off the tailnet: right now this app is reachable only on the local network and this machine."
        in page
    )

    observe(
        phase="running", https_url="https://web.tail1234.ts.net/", dns_name="web.tail1234.ts.net"
    )
    page = owner_client.get("/settings/tailscale/").content.decode()
    assert 'data-testid="off-tailnet"' not in page
    assert "HTTPS on the tailnet, the tailnet and the local network and this machine" not in page
    assert "HTTPS on the tailnet, the tailnet, the local network and this machine" in page


@pytest.mark.django_db
def test_the_supervisor_logs_it_when_the_node_drops_off(caplog, settings):
    settings.TAILSCALE_WEB_BIND = "127.0.0.1"
    timeline = Timeline()
    with caplog.at_level(logging.WARNING, logger="tailscale_sidecar.supervisor.timeline"):
        timeline.observed({"phase": Phase.RUNNING}, {"phase": Phase.RESTARTING})
    assert (
        "off the tailnet (restarting): the app is now reachable only on this machine" in caplog.text
    )
