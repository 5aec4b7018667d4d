"""Two supervisors on one SQLite database: one tailscaled; the standby takes over."""

import tempfile

import pytest
from django.utils import timezone

from tailscale_sidecar.simulator.harness import wait_for
from tests.fixtures.processes import pid_alive
from tests.supervisor.helpers import TIMEOUT, join_interactively, observed, wait_running_after


@pytest.mark.django_db(transaction=True)
def test_only_the_leader_runs_tailscaled_and_the_standby_takes_over(
    start_supervisor, sim_env, fake_control
):
    leader = start_supervisor()
    before = join_interactively(fake_control, leader)
    assert "holds the lease" in leader.log_text()
    # Its own data dir: the standby shares only the database (the node identity).
    standby = start_supervisor(
        {**sim_env, "TRACEARR_DATA_DIR": tempfile.mkdtemp(prefix="tt-", dir="/tmp")}
    )
    wait_for(lambda: "standing by" in standby.log_text(), timeout=TIMEOUT)
    assert standby.spawn_count() == 0
    assert observed().supervisor_id.endswith(f":{leader.pid}")

    since = timezone.now()
    leader.kill()
    wait_for(lambda: not pid_alive(leader.tailscaled_pids()[-1]), timeout=TIMEOUT)
    after = wait_running_after(since, standby)

    assert standby.spawn_count() == 1
    assert after.node_id == before.node_id
    assert after.supervisor_id.endswith(f":{standby.pid}")
    assert len(fake_control.nodes()) == 1
