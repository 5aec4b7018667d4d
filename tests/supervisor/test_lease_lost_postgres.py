"""Another session holding the PostgreSQL lease is a lost lease.

When the supervisor's session is gone and a different one (another
supervisor) has taken the lock, it stops tailscaled and stands by, and takes
the node back, restored from the database, once the lock is free again.
"""

import psycopg
import pytest

from tailscale_sidecar.simulator.harness import wait_for
from tests.fixtures.processes import pid_alive
from tests.supervisor.pg import end_session, lease_holder, observed, prepare, take_lease

TIMEOUT = 20.0


@pytest.mark.django_db(transaction=True)
def test_a_rival_session_taking_the_lock_stops_tailscaled_until_released(
    start_supervisor, sim_env, postgres_url, fake_control
):
    env = {
        **sim_env,
        "DATABASE_URL": postgres_url,
        "TAILSCALE_AUTHKEY": fake_control.create_auth_key(),
    }
    prepare(env, postgres_url)
    supervisor = start_supervisor(env)
    wait_for(lambda: observed(postgres_url)["phase"] == "running", timeout=TIMEOUT)
    node_id = observed(postgres_url)["node_id"]
    tailscaled = supervisor.tailscaled_pids()[-1]
    _, name = lease_holder(postgres_url)

    with psycopg.connect(postgres_url, autocommit=True, application_name="rival") as rival:
        wait_for(lambda: end_session(rival, name) or take_lease(rival), timeout=TIMEOUT)
        wait_for(lambda: not pid_alive(tailscaled), timeout=TIMEOUT)
        wait_for(lambda: "standing by" in supervisor.log_text(), timeout=TIMEOUT)
        assert "lost the supervisor lease to rival" in supervisor.log_text()
        assert supervisor.spawn_count() == 1
        assert lease_holder(postgres_url)[1] == "rival"

    # The rival's session ended: the lock is free and the supervisor takes over.
    wait_for(lambda: supervisor.spawn_count() == 2, timeout=TIMEOUT)
    # `starting` is written before the spawn, so `running` now is the new tailscaled's.
    wait_for(lambda: observed(postgres_url)["phase"] == "running", timeout=TIMEOUT)
    assert observed(postgres_url)["node_id"] == node_id
    assert lease_holder(postgres_url)[1] == name
    assert len(fake_control.nodes()) == 1
