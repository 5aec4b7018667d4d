"""Losing the lease's PostgreSQL session is not losing the lease.

The supervisor re-takes the lock on a new connection and leaves tailscaled
alone, also when its old session still holds the lock (as after a network
cut, until PostgreSQL notices): it recognises that session by its
application_name and ends it.
"""

import psycopg
import pytest

from tailscale_sidecar.simulator.harness import wait_for
from tests.fixtures.processes import pid_alive
from tests.supervisor.pg import end_session, lease_holder, observed, prepare, take_lease

TIMEOUT = 20.0


@pytest.fixture
def running(start_supervisor, sim_env, postgres_url, fake_control):
    """A supervisor on PostgreSQL with a running node; returns it and its lease session."""
    env = {
        **sim_env,
        "DATABASE_URL": postgres_url,
        "TAILSCALE_AUTHKEY": fake_control.create_auth_key(),
    }
    prepare(env, postgres_url)
    supervisor = start_supervisor(env)
    wait_for(lambda: observed(postgres_url)["phase"] == "running", timeout=TIMEOUT)
    holder = lease_holder(postgres_url)
    assert holder is not None and holder[1].startswith("tracearr-supervisor:")
    return supervisor, holder


def wait_lease_retaken(url: str, name: str, not_by: set[int]) -> None:
    """Until a session named `name`, other than the backends in `not_by`, holds the lease."""
    wait_for(
        lambda: (h := lease_holder(url)) is not None and h[1] == name and h[0] not in not_by,
        timeout=TIMEOUT,
    )


def assert_node_untouched(supervisor, url: str, tailscaled: int) -> None:
    assert supervisor.tailscaled_pids() == [tailscaled]
    assert pid_alive(tailscaled)
    assert observed(url)["phase"] == "running"
    assert "lost the supervisor lease" not in supervisor.log_text()


@pytest.mark.django_db(transaction=True)
def test_a_killed_lease_session_is_retaken_without_restarting_tailscaled(running, postgres_url):
    supervisor, (backend, name) = running
    tailscaled = supervisor.tailscaled_pids()[-1]

    with psycopg.connect(postgres_url, autocommit=True) as admin:
        end_session(admin, name)

    wait_lease_retaken(postgres_url, name, not_by={backend})
    assert_node_untouched(supervisor, postgres_url, tailscaled)


@pytest.mark.django_db(transaction=True)
def test_our_old_session_still_holding_the_lock_is_ended(running, postgres_url):
    supervisor, (backend, name) = running
    tailscaled = supervisor.tailscaled_pids()[-1]

    # A stand-in for the cut-off old session: same application_name, holds the lock.
    with psycopg.connect(postgres_url, autocommit=True, application_name=name) as stale:
        wait_for(lambda: end_session(stale, name) or take_lease(stale), timeout=TIMEOUT)

        wait_lease_retaken(postgres_url, name, not_by={backend, stale.info.backend_pid})
        with pytest.raises(psycopg.OperationalError):
            stale.execute("SELECT 1")
    assert "our old lease session" in supervisor.log_text()
    assert_node_untouched(supervisor, postgres_url, tailscaled)
