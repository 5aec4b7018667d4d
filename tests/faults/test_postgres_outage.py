"""PostgreSQL unreachable for the supervisor (a proxy we cut), then back.

The shared server is never stopped: the supervisor reaches it through a TCP
proxy this test cuts and restores. tailscaled stays up, the state write made
during the outage is retried, and the latest state lands when the DB returns.
The lease is kept: its lost connection is not a lost lease, even when the
server still holds the lock for the cut session for a moment.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time

import psycopg
import pytest
from cryptography.fernet import Fernet

from tailscale_sidecar.localapi import LocalAPIClient
from tailscale_sidecar.simulator.harness import wait_for
from tests.faults.helpers import current_pid, socket_path
from tests.faults.tcp_proxy import CuttableProxy
from tests.fixtures.processes import manage
from tests.supervisor.helpers import TIMEOUT, data_dir

OUTAGE = 4.0  # seconds the database stays away
NEW_NAME = "renamed-during-outage"


def newest_row(url: str) -> tuple[int, str] | None:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT count(*), (SELECT sha256 FROM tailscale_sidecar_storedstate "
            "ORDER BY created_at DESC, id DESC LIMIT 1) FROM tailscale_sidecar_storedstate"
        ).fetchone()


def stored_profile(url: str, key: str) -> bytes:
    """The newest stored state, decrypted, with its base64 values decoded."""
    with psycopg.connect(url) as conn:
        (token,) = conn.execute(
            "SELECT ciphertext FROM tailscale_sidecar_storedstate "
            "ORDER BY created_at DESC, id DESC LIMIT 1"
        ).fetchone()
    state = json.loads(Fernet(key).decrypt(token.encode()))
    return b"".join(base64.b64decode(value) for value in state.values())


def phase(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT phase FROM tailscale_sidecar_observedstatus").fetchone()
    return row[0] if row else ""


@pytest.mark.django_db(transaction=True)
def test_the_node_survives_a_database_outage_and_the_state_lands_after(
    start_supervisor, sim_env, postgres_url
):
    key = Fernet.generate_key().decode()
    direct_env = {**sim_env, "DATABASE_URL": postgres_url, "TAILSCALE_STATE_KEYS": key}
    manage(direct_env, "migrate")
    manage(
        direct_env,
        "shell",
        "-c",
        "from tailscale_sidecar.models import DesiredConfig as D; D.update(enabled=True)",
    )
    proxy = CuttableProxy(("127.0.0.1", 5432))
    try:
        via_proxy = postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        supervisor = start_supervisor({**direct_env, "DATABASE_URL": via_proxy})
        wait_for(lambda: phase(postgres_url) == "running", timeout=TIMEOUT)
        pid = current_pid(supervisor)
        rows_before, _ = newest_row(postgres_url)

        proxy.cut()
        # The owner renames the node (the web still reaches the DB directly) and
        # tailscaled writes its state, while the supervisor can't reach the DB.
        with psycopg.connect(postgres_url) as conn:
            conn.execute(
                "UPDATE tailscale_sidecar_desiredconfig "
                "SET hostname = %s, generation = generation + 1",
                [NEW_NAME],
            )
        with LocalAPIClient(socket_path(supervisor)) as client:
            client.patch_prefs({"Hostname": NEW_NAME})
            wait_for(
                lambda: "could not store the Tailscale state" in supervisor.log_text(),
                timeout=TIMEOUT,
            )
            deadline = time.monotonic() + OUTAGE
            while time.monotonic() < deadline:
                assert client.status().backend_state == "Running"
                assert current_pid(supervisor) == pid
                time.sleep(0.5)
        proxy.restore()

        state_file = data_dir(supervisor) / "tailscale" / "tailscaled.state"

        def latest_landed() -> bool:
            count, sha = newest_row(postgres_url)
            on_disk = hashlib.sha256(state_file.read_bytes()).hexdigest()
            return count > rows_before and sha == on_disk

        try:
            wait_for(latest_landed, timeout=30)
        except TimeoutError as exc:
            count, sha = newest_row(postgres_url)
            raise AssertionError(
                f"rows {rows_before} -> {count}, newest {sha}, on disk "
                f"{hashlib.sha256(state_file.read_bytes()).hexdigest()}\n"
                f"{supervisor.log_text()[-5000:]}"
            ) from exc
        assert current_pid(supervisor) == pid, "tailscaled was restarted by the outage"
        assert "lost the supervisor lease" not in supervisor.log_text()
        assert supervisor.alive()
        wait_for(lambda: phase(postgres_url) == "running", timeout=TIMEOUT)
        assert NEW_NAME.encode() in stored_profile(postgres_url, key)
    finally:
        proxy.close()
