"""Checks the fault tests share: identity kept, stored state valid, one tailscaled."""

from __future__ import annotations

import json

import psutil

from tailscale_sidecar.models import ObservedStatus, StoredState
from tailscale_sidecar.simulator.harness import SupervisorProcess, wait_for
from tailscale_sidecar.state.crypto import get_cipher
from tailscale_sidecar.state.store import validate_state
from tests.state.helpers import state_has_identity
from tests.supervisor.helpers import TIMEOUT, data_dir


def socket_path(supervisor: SupervisorProcess) -> str:
    return str(data_dir(supervisor) / "run" / "tailscaled.sock")


def tailscaleds_for(socket: str) -> list[int]:
    """Live tailscaled processes serving `socket` (by cmdline, never by name)."""
    flag = f"--socket={socket}"
    pids = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        cmdline = proc.info["cmdline"] or []
        if flag in cmdline and proc.info["status"] != psutil.STATUS_ZOMBIE:
            pids.append(proc.pid)
    return pids


def newest_stored_state() -> dict:
    """The newest DB version, decrypted and validated (raises if it is not a node)."""
    row = StoredState.latest_version()
    assert row is not None, "no state stored"
    state = validate_state(get_cipher().decrypt(row.ciphertext))
    assert state_has_identity(state), f"stored state has no identity: {sorted(state)}"
    return state


def wait_running_as(node_id: str, supervisor: SupervisorProcess, timeout: float = TIMEOUT):
    """Running again, as `node_id`, with no restart pending."""

    def back() -> bool:
        status = ObservedStatus.load()
        return status.phase == "running" and status.node_id == node_id

    try:
        wait_for(back, timeout=timeout)
    except TimeoutError as exc:
        status = ObservedStatus.load()
        raise AssertionError(
            f"not running as {node_id}: phase={status.phase!r} node={status.node_id!r} "
            f"error={status.last_error!r}\n{supervisor.log_text()[-4000:]}"
        ) from exc
    return ObservedStatus.load()


def current_pid(supervisor: SupervisorProcess) -> int | None:
    """The pidfile's tailscaled, or None between a crash and the respawn."""
    pidfile = data_dir(supervisor) / "run" / "tailscaled.pid"
    try:
        return int(json.loads(pidfile.read_text())["pid"])
    except (FileNotFoundError, ValueError, KeyError):
        return None


def wait_respawned(victim: int, supervisor: SupervisorProcess) -> int:
    """Wait for a tailscaled other than `victim`; return its pid."""
    return wait_for(
        lambda: (pid := current_pid(supervisor)) not in (None, victim) and pid, timeout=TIMEOUT
    )
