"""Small helpers shared by the supervisor tests (waiting on ObservedStatus)."""

from __future__ import annotations

import json
from pathlib import Path

from tailscale_sidecar.models import DesiredConfig, ObservedStatus
from tailscale_sidecar.simulator.harness import SupervisorProcess, wait_for

TIMEOUT = 20.0


def observed() -> ObservedStatus:
    return ObservedStatus.load()


def wait_phase(
    phase: str, supervisor: SupervisorProcess, timeout: float = TIMEOUT
) -> ObservedStatus:
    """Wait until ObservedStatus shows `phase`; on timeout say what it showed instead."""
    try:
        wait_for(lambda: observed().phase == phase, timeout=timeout)
    except Exception as exc:
        status = observed()
        raise AssertionError(
            f"phase {status.phase!r} (wanted {phase!r}), last_error={status.last_error!r}\n"
            f"--- supervisor log ---\n{supervisor.log_text()[-4000:]}"
        ) from exc
    return observed()


def wait_applied(generation: int, supervisor: SupervisorProcess, timeout: float = TIMEOUT) -> None:
    try:
        wait_for(lambda: observed().applied_generation >= generation, timeout=timeout)
    except Exception as exc:
        raise AssertionError(
            f"generation {generation} not applied\n{supervisor.log_text()[-4000:]}"
        ) from exc


def join_interactively(fake_control, supervisor: SupervisorProcess) -> ObservedStatus:
    """Enable, wait for the auth URL, consent at control, wait for running."""
    DesiredConfig.update(enabled=True)
    auth_url = wait_for(lambda: observed().auth_url, timeout=TIMEOUT)
    fake_control.consent(auth_url)
    return wait_phase("running", supervisor)


def join_with_key(supervisor: SupervisorProcess) -> ObservedStatus:
    """Enable a supervisor started with TAILSCALE_AUTHKEY; wait for running."""
    DesiredConfig.update(enabled=True)
    return wait_phase("running", supervisor)


def data_dir(supervisor: SupervisorProcess) -> Path:
    return Path(supervisor.env["TRACEARR_DATA_DIR"])


def tailscaled_pid(supervisor: SupervisorProcess) -> int:
    """The running tailscaled's pid, from the supervisor's pidfile."""
    pidfile = data_dir(supervisor) / "run" / "tailscaled.pid"
    return int(json.loads(pidfile.read_text())["pid"])


def wait_running_after(since, supervisor: SupervisorProcess, timeout: float = TIMEOUT):
    """Wait for `running` confirmed by a health check newer than `since` (not a stale row)."""

    def fresh() -> bool:
        status = observed()
        checked = status.last_health_check_at
        return status.phase == "running" and checked is not None and checked > since

    try:
        wait_for(fresh, timeout=timeout)
    except Exception as exc:
        status = observed()
        raise AssertionError(
            f"not freshly running: phase={status.phase!r} last_error={status.last_error!r}\n"
            f"{supervisor.log_text()[-4000:]}"
        ) from exc
    return observed()
