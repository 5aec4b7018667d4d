"""Direct SQL on a supervisor's PostgreSQL database (faster than a Django shell per call)."""

from __future__ import annotations

import psycopg

from tailscale_sidecar.supervisor.lease import ADVISORY_LOCK_KEY
from tests.fixtures.processes import manage


def prepare(env: dict[str, str], url: str, *, enabled: bool = True) -> None:
    """Migrate the database and create the desired config row."""
    manage(env, "migrate", "--noinput")
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO tailscale_sidecar_desiredconfig (id, enabled, hostname, control_url, "
            "advertise_tags, auth_key_encrypted, outbound_proxy, generation, reset_generation, "
            "retry_generation, instance_id, trusted_logins, exit_node, exit_node_allow_lan, "
            "updated_at) VALUES (1, %s, '', '', '[]', '', false, 1, 0, 0, 'pgtest', '[]', '', false, "
            "now())",
            [enabled],
        )


def set_hostname(url: str, hostname: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "UPDATE tailscale_sidecar_desiredconfig SET hostname = %s, "
            "generation = generation + 1 WHERE id = 1",
            [hostname],
        )


def observed(url: str) -> dict:
    fields = ("phase", "node_id", "hostname", "supervisor_id", "supervisor_heartbeat_at")
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT phase, node_id, hostname, supervisor_id, supervisor_heartbeat_at "
            "FROM tailscale_sidecar_observedstatus WHERE id = 1"
        ).fetchone()
    return dict(zip(fields, row or ("", "", "", "", None), strict=True))


# The supervisor lease's lock in pg_locks (a bigint key: classid high half, objid low half).
LEASE_HOLDERS = (
    "SELECT l.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() "
    "AND ((l.classid::bigint << 32) | l.objid::bigint) = %s"
)


def lease_holder(url: str) -> tuple[int, str] | None:
    """(backend pid, application_name) of the session holding the supervisor lease."""
    with psycopg.connect(url) as conn:
        return conn.execute(LEASE_HOLDERS, [ADVISORY_LOCK_KEY]).fetchone()


def end_session(conn: psycopg.Connection, application_name: str) -> None:
    """Terminate every other session named `application_name` (waits until they are gone)."""
    conn.execute(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
        "WHERE application_name = %s AND pid <> pg_backend_pid() AND datname = current_database()",
        [application_name],
    )


def take_lease(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY]).fetchone()[0]
