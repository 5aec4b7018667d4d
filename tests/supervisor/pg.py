"""Direct SQL on a supervisor's PostgreSQL database (faster than a Django shell per call)."""

from __future__ import annotations

import psycopg

from tests.fixtures.processes import manage


def prepare(env: dict[str, str], url: str, *, enabled: bool = True) -> None:
    """Migrate the database and create the desired config row."""
    manage(env, "migrate", "--noinput")
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO tailscale_sidecar_desiredconfig (id, enabled, hostname, control_url, "
            "advertise_tags, auth_key_encrypted, outbound_proxy, generation, reset_generation, "
            "retry_generation, updated_at) "
            "VALUES (1, %s, '', '', '[]', '', false, 1, 0, 0, now())",
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
