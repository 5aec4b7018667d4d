"""The coordination server goes offline and tailscaled restarts.

The node waits in NoState (it has its identity; it can't reach control), the
API passes on tailscaled's "unable to connect to the coordination server"
health warning, and the supervisor does not restart tailscaled over and over.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tailscale_sidecar.models import ObservedStatus
from tailscale_sidecar.status_view import load_status
from tailscale_sidecar.testing.harness import wait_for
from tests.faults.helpers import current_pid, wait_respawned, wait_running_as
from tests.supervisor.helpers import TIMEOUT, join_with_key

WATCH = 10.0  # seconds the supervisor is watched for a restart storm


@pytest.mark.django_db(transaction=True)
def test_control_offline_waits_in_nostate_without_a_restart_storm(start_supervisor, fake_control):
    supervisor = start_supervisor()
    node_id = join_with_key(supervisor).node_id
    fake_control.set_offline(True)
    victim = current_pid(supervisor)
    os.kill(victim, signal.SIGKILL)
    pid = wait_respawned(victim, supervisor)
    wait_for(lambda: ObservedStatus.load().backend_state == "NoState", timeout=TIMEOUT)

    spawns = supervisor.spawn_count()
    deadline = time.monotonic() + WATCH
    while time.monotonic() < deadline:
        observed = ObservedStatus.load()
        assert observed.restart_count <= 1, "restart storm while control is offline"
        assert current_pid(supervisor) == pid
        time.sleep(0.5)
    assert supervisor.spawn_count() == spawns

    # The explanation is tailscaled's own health warning, passed through to the API.
    status = load_status()[2]
    assert status["phase"] == "starting"
    assert any("coordination server" in line for line in status["health"]), status

    fake_control.set_offline(False)
    wait_running_as(node_id, supervisor)
