"""Fresh enable: auth URL on the page, consent at control, then running."""

from urllib.parse import urlparse

import pytest

from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.simulator.harness import wait_for
from tests.supervisor.helpers import TIMEOUT, observed, wait_phase


@pytest.mark.django_db(transaction=True)
def test_it_publishes_the_auth_url_then_runs_after_consent(start_supervisor, fake_control):
    supervisor = start_supervisor()
    DesiredConfig.update(enabled=True, hostname="web-1")

    auth_url = wait_for(lambda: observed().auth_url, timeout=TIMEOUT)
    status = wait_phase("needs_login", supervisor)
    assert status.auth_url == auth_url
    assert urlparse(auth_url).netloc == urlparse(fake_control.url).netloc

    fake_control.consent(auth_url)
    status = wait_phase("running", supervisor)

    assert status.auth_url == ""
    assert any(ip.startswith("100.") for ip in status.tailnet_ips)
    assert status.dns_name.startswith("web-1.")
    assert not status.dns_name.endswith(".")
    assert status.node_id
    assert status.backend_state == "Running"
    assert status.applied_generation == DesiredConfig.load().generation
    assert supervisor.spawn_count() == 1
