"""Two supervisors on one PostgreSQL database: the advisory lock allows one tailscaled."""

import tempfile

import pytest

from tailscale_sidecar.simulator.harness import wait_for
from tests.fixtures.processes import pid_alive
from tests.supervisor.pg import observed, prepare

TIMEOUT = 20.0


@pytest.mark.django_db(transaction=True)
def test_the_advisory_lock_keeps_one_tailscaled(
    start_supervisor, sim_env, postgres_url, fake_control
):
    env = {
        **sim_env,
        "DATABASE_URL": postgres_url,
        "TAILSCALE_AUTHKEY": fake_control.create_auth_key(),
    }
    prepare(env, postgres_url)

    leader = start_supervisor(env)
    wait_for(lambda: "holds the lease" in leader.log_text(), timeout=TIMEOUT)
    standby = start_supervisor(
        {**env, "TRACEARR_DATA_DIR": tempfile.mkdtemp(prefix="tt-", dir="/tmp")}
    )
    wait_for(lambda: observed(postgres_url)["phase"] == "running", timeout=TIMEOUT)
    wait_for(lambda: "standing by" in standby.log_text(), timeout=TIMEOUT)
    assert leader.spawn_count() == 1
    assert standby.spawn_count() == 0
    node_id = observed(postgres_url)["node_id"]

    leader.kill()
    wait_for(lambda: not pid_alive(leader.tailscaled_pids()[-1]), timeout=TIMEOUT)
    # The standby writes `starting` before it spawns, so `running` after that is its own.
    wait_for(lambda: standby.spawn_count() == 1, timeout=TIMEOUT)
    wait_for(
        lambda: (
            (o := observed(postgres_url))["phase"] == "running"
            and o["supervisor_id"].endswith(f":{standby.pid}")
        ),
        timeout=TIMEOUT,
    )
    assert observed(postgres_url)["node_id"] == node_id
    assert len(fake_control.nodes()) == 1
