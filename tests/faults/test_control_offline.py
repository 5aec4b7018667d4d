"""The coordination server goes offline and tailscaled restarts.

The node waits in NoState (it has its identity; it can't reach control). The
stale restart error is cleared once tailscaled answers again; after a while in
NoState the supervisor says control is unreachable, without restarting
tailscaled over and over; the message goes once the node runs again.
"""

from __future__ import annotations

import os
import signal

import pytest

from tailscale_sidecar.models import ObservedStatus
from tailscale_sidecar.simulator.harness import wait_for
from tailscale_sidecar.supervisor.reconcile import CONTROL_UNREACHABLE_AFTER
from tailscale_sidecar.web.status import load_status
from tests.faults.helpers import current_pid, wait_respawned, wait_running_as
from tests.supervisor.helpers import TIMEOUT, join_with_key

UNREACHABLE = "Can't reach the Tailscale coordination server"


@pytest.mark.django_db(transaction=True)
def test_control_offline_is_reported_without_a_restart_storm(start_supervisor, fake_control):
    supervisor = start_supervisor()
    node_id = join_with_key(supervisor).node_id
    fake_control.set_offline(True)
    victim = current_pid(supervisor)
    os.kill(victim, signal.SIGKILL)
    pid = wait_respawned(victim, supervisor)
    spawns = supervisor.spawn_count()

    # Answering again: the "exited with code -9; restarting" error is history.
    observed = wait_for(
        lambda: (
            (o := ObservedStatus.load()).backend_state == "NoState"
            and "exited with code" not in o.last_error
            and o
        ),
        timeout=TIMEOUT,
    )
    assert observed.phase == "starting"

    def unreachable_reported() -> ObservedStatus | None:
        observed = ObservedStatus.load()
        assert observed.restart_count <= 1, "restart storm while control is offline"
        assert current_pid(supervisor) == pid
        return observed if observed.last_error.startswith(UNREACHABLE) else None

    observed = wait_for(
        unreachable_reported, timeout=CONTROL_UNREACHABLE_AFTER + TIMEOUT, interval=0.2
    )
    assert fake_control.url in observed.last_error
    assert observed.phase == "starting"
    assert supervisor.spawn_count() == spawns

    status = load_status()[2]
    assert status.phase == "starting"
    assert status.error.startswith(UNREACHABLE), status
    # tailscaled's own health warning is passed through as well.
    assert any("coordination server" in line for line in status.health), status

    fake_control.set_offline(False)
    assert wait_running_as(node_id, supervisor).last_error == ""
    assert supervisor.spawn_count() == spawns
