"""Is the running tailscaled alive and answering? (the periodic health probe)"""

from __future__ import annotations

from dataclasses import dataclass

import psutil

from tailscale_sidecar.localapi import LocalAPIClient, LocalAPIError, LocalAPITimeout, Status


@dataclass(frozen=True)
class HealthResult:
    healthy: bool
    # True when the process is there but will not recover by itself (stopped,
    # not answering): the supervisor kills and restarts it.
    hung: bool = False
    reason: str = ""
    # What a healthy node answered: the loop reconciles from it instead of asking again.
    status: Status | None = None


def probe(pid: int, client: LocalAPIClient) -> HealthResult:
    """Check the process state, then that `status` answers within the client's timeout."""
    try:
        proc_status = psutil.Process(pid).status()
    except psutil.NoSuchProcess:
        return HealthResult(False, reason="tailscaled has exited")
    # A SIGSTOPped process shows as stopped and never answers again: hung.
    if proc_status in (psutil.STATUS_STOPPED, psutil.STATUS_TRACING_STOP):
        return HealthResult(False, hung=True, reason=f"tailscaled is {proc_status}")
    if proc_status in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD):
        return HealthResult(False, reason="tailscaled has exited")
    try:
        status = client.status()
    except LocalAPITimeout:
        return HealthResult(
            False,
            hung=True,
            reason=f"tailscaled did not answer status within {client.timeout:g}s",
        )
    except LocalAPIError as exc:
        return HealthResult(False, hung=True, reason=f"tailscaled status failed: {exc}")
    return HealthResult(True, status=status)
