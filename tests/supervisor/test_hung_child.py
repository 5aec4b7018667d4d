"""A hung tailscaled (SIGSTOPped, or not answering) is killed and restarted."""

import os
import signal

import pytest

from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.simulator.harness import wait_for
from tests.fixtures.processes import pid_alive
from tests.supervisor.helpers import (
    TIMEOUT,
    join_interactively,
    observed,
    tailscaled_pid,
    wait_phase,
)


@pytest.mark.django_db(transaction=True)
def test_it_restarts_a_stopped_tailscaled(start_supervisor, fake_control):
    supervisor = start_supervisor(TAILSCALE_HEALTHCHECK_INTERVAL="1")
    before = join_interactively(fake_control, supervisor)
    hung = tailscaled_pid(supervisor)

    os.kill(hung, signal.SIGSTOP)
    wait_for(lambda: supervisor.spawn_count() == 2, timeout=TIMEOUT)
    after = wait_phase("running", supervisor)

    assert not pid_alive(hung)
    assert "health check failed" in supervisor.log_text()
    assert after.node_id == before.node_id
    assert after.last_health_check_at is not None


@pytest.mark.django_db(transaction=True)
def test_it_restarts_a_tailscaled_that_stops_answering(start_supervisor, fake_control):
    supervisor = start_supervisor(
        TAILSCALE_AUTHKEY=fake_control.create_auth_key(reusable=True),
        FAKE_TAILSCALED_HANG_AFTER="3",
        TAILSCALE_PROBE_TIMEOUT="1",
    )
    DesiredConfig.update(enabled=True)
    first = wait_phase("running", supervisor)

    wait_for(lambda: supervisor.spawn_count() == 2, timeout=TIMEOUT)

    assert "did not answer" in supervisor.log_text()
    assert not pid_alive(supervisor.tailscaled_pids()[0])
    assert observed().restart_count >= 1
    assert observed().node_id == first.node_id
