"""A tailnet that requires device approval shows needs_machine_auth until an admin approves."""

import pytest

from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.simulator.harness import wait_for
from tests.supervisor.helpers import TIMEOUT, observed, wait_phase


@pytest.mark.django_db(transaction=True)
def test_it_waits_for_approval_then_runs(start_supervisor, fake_control):
    fake_control.set_require_machine_auth(True)
    supervisor = start_supervisor()
    DesiredConfig.update(enabled=True)
    fake_control.consent(wait_for(lambda: observed().auth_url, timeout=TIMEOUT))

    waiting = wait_phase("needs_machine_auth", supervisor)
    (node,) = fake_control.nodes()
    assert not node["authorized"]
    assert waiting.auth_url == ""

    fake_control.approve(node["id"])
    assert wait_phase("running", supervisor).node_id == node["id"]
