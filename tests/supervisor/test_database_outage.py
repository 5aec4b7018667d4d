"""While the database is unreachable tailscaled keeps running; afterwards changes apply again."""

import time

import psycopg
import pytest

from tailscale_sidecar.simulator.harness import wait_for
from tests.fixtures.processes import pid_alive
from tests.fixtures.services import POSTGRES_ADMIN_URL
from tests.supervisor.pg import observed, prepare, set_hostname

TIMEOUT = 20.0


def set_reachable(url: str, reachable: bool) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(reachable).lower()}')
        if not reachable:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [name],
            )


@pytest.mark.django_db(transaction=True)
def test_tailscaled_survives_a_database_outage(
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
    pid = supervisor.tailscaled_pids()[-1]

    set_reachable(postgres_url, False)
    try:
        wait_for(lambda: "database unavailable" in supervisor.log_text(), timeout=TIMEOUT)
        # Several health checks (every 1 s) pass while the database is gone.
        outage_ends = time.monotonic() + 2
        wait_for(lambda: time.monotonic() > outage_ends, timeout=5)
        assert supervisor.alive()
        assert pid_alive(pid)
    finally:
        set_reachable(postgres_url, True)

    before = observed(postgres_url)["supervisor_heartbeat_at"]
    wait_for(lambda: observed(postgres_url)["supervisor_heartbeat_at"] > before, timeout=TIMEOUT)
    assert "database reachable again" in supervisor.log_text()
    set_hostname(postgres_url, "after-outage")
    wait_for(lambda: observed(postgres_url)["hostname"] == "after-outage", timeout=TIMEOUT)
    assert supervisor.tailscaled_pids() == [pid]
    assert "lost the supervisor lease" not in supervisor.log_text()
