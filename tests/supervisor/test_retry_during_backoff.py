"""Retry during a long backoff starts tailscaled at once, exactly once."""

import pytest

from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.simulator.harness import wait_for
from tests.supervisor.helpers import TIMEOUT, observed, wait_phase


@pytest.mark.django_db(transaction=True)
def test_a_double_retry_during_backoff_starts_exactly_one_child(start_supervisor):
    supervisor = start_supervisor(
        FAKE_TAILSCALED_CRASH_AFTER="0", TAILSCALE_BACKOFF="60,60,60,60,60"
    )
    DesiredConfig.update(enabled=True)
    first = wait_phase("restarting", supervisor)
    assert first.restart_count == 1
    assert supervisor.spawn_count() == 1

    # A double click: two retries before the supervisor looks.
    DesiredConfig.bump("retry_generation")
    wanted = DesiredConfig.bump("retry_generation").retry_generation

    wait_for(lambda: observed().retry_done_generation == wanted, timeout=TIMEOUT)
    wait_for(lambda: supervisor.spawn_count() >= 2, timeout=TIMEOUT)
    # The new child crashes too: the counter starts again from zero, so this is
    # restart 1 with a fresh 60 s wait, and no third child was started.
    wait_for(
        lambda: (
            observed().phase == "restarting"
            and observed().next_retry_at is not None
            and observed().next_retry_at > first.next_retry_at
        ),
        timeout=TIMEOUT,
    )
    assert observed().restart_count == 1
    assert supervisor.spawn_count() == 2
