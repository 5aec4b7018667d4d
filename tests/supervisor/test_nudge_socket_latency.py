"""Without Redis, the run dir's socket wakes the supervisor: a change applies well under a poll."""

import time
from pathlib import Path

import pytest

from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.nudge import nudge_supervisor
from tailscale_sidecar.simulator.harness import wait_for
from tests.supervisor.helpers import observed, wait_applied, wait_phase


@pytest.mark.django_db(transaction=True)
def test_enable_reaches_the_supervisor_without_redis(start_supervisor, fake_control, settings):
    # Polling every 30 s cannot explain a sub-second login URL: only the socket can.
    supervisor = start_supervisor(TAILSCALE_POLL_INTERVAL="30")
    assert "REDIS_URL" not in supervisor.env
    settings.REDIS_URL = ""
    settings.TAILSCALE_RUN_DIR = Path(supervisor.env["TRACEARR_DATA_DIR"]) / "run"
    wait_for(lambda: observed().supervisor_heartbeat_at is not None, timeout=20)
    wait_for(lambda: (settings.TAILSCALE_RUN_DIR / "supervisor-nudge.sock").exists(), timeout=20)

    started = time.monotonic()
    DesiredConfig.update(enabled=True)
    nudge_supervisor()
    auth_url = wait_for(lambda: observed().auth_url, timeout=5, interval=0.01)
    to_login_url = time.monotonic() - started
    fake_control.consent(auth_url)
    wait_phase("running", supervisor)

    latencies = []
    for n in range(3):
        started = time.monotonic()
        desired = DesiredConfig.update(hostname=f"nudged-{n}")
        nudge_supervisor()
        wait_applied(desired.generation, supervisor, timeout=5)
        latencies.append(time.monotonic() - started)

    print(f"enable-to-login-URL {to_login_url:.3f}s; change-to-applied {latencies}")
    assert to_login_url < 1.0, to_login_url
    assert max(latencies) < 1.0, latencies
