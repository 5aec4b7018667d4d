"""With Redis, a nudge applies a desired change in well under a second."""

import time

import pytest

from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.nudge import nudge_supervisor
from tailscale_sidecar.simulator.harness import wait_for
from tests.supervisor.helpers import observed, wait_applied, wait_phase


@pytest.mark.django_db(transaction=True)
def test_a_nudge_applies_a_change_in_under_a_second(
    start_supervisor, fake_control, redis_url, settings
):
    settings.REDIS_URL = redis_url
    # Polling every 30 s cannot explain a sub-second apply: only the nudge can.
    supervisor = start_supervisor(REDIS_URL=redis_url, TAILSCALE_POLL_INTERVAL="30")
    DesiredConfig.update(enabled=True)
    nudge_supervisor()
    fake_control.consent(wait_for(lambda: observed().auth_url, timeout=20))
    wait_phase("running", supervisor)

    latencies = []
    for n in range(3):
        started = time.monotonic()
        desired = DesiredConfig.update(hostname=f"nudged-{n}")
        nudge_supervisor()
        wait_applied(desired.generation, supervisor, timeout=5)
        latencies.append(time.monotonic() - started)

    print(f"nudge-to-applied latencies: {[round(x, 3) for x in latencies]}")
    assert max(latencies) < 1.0, latencies
    wait_for(lambda: observed().hostname == "nudged-2", timeout=5)
