"""A tailscaled killed with SIGKILL comes back as the same node, without a login."""

import os
import signal

import pytest

from tailscale_sidecar.simulator.harness import wait_for
from tests.supervisor.helpers import (
    TIMEOUT,
    join_interactively,
    observed,
    tailscaled_pid,
    wait_phase,
)


@pytest.mark.django_db(transaction=True)
def test_it_restarts_a_killed_tailscaled_as_the_same_node(start_supervisor, fake_control):
    supervisor = start_supervisor()
    before = join_interactively(fake_control, supervisor)
    nodes_before = len(fake_control.nodes())

    os.kill(tailscaled_pid(supervisor), signal.SIGKILL)
    wait_for(lambda: supervisor.spawn_count() == 2, timeout=TIMEOUT)
    wait_for(lambda: observed().restart_count == 1, timeout=TIMEOUT)
    after = wait_phase("running", supervisor)

    assert after.node_id == before.node_id
    assert after.tailnet_ips == before.tailnet_ips
    assert after.auth_url == ""
    assert len(fake_control.nodes()) == nodes_before
