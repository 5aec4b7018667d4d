"""A tailscaled that always crashes is retried exactly len(BACKOFF) times, then failed."""

import re
from datetime import datetime

import pytest

from tailscale_sidecar.models import DesiredConfig
from tests.supervisor.helpers import wait_phase

DELAYS = [0.1, 0.2, 0.4, 0.8, 1.6]


def spawn_times(log: str) -> list[datetime]:
    stamps = re.findall(r"^(\S+ \S+) INFO \S+: started tailscaled pid=", log, re.MULTILINE)
    return [datetime.strptime(s, "%Y-%m-%d %H:%M:%S,%f") for s in stamps]


@pytest.mark.django_db(transaction=True)
def test_it_gives_up_after_the_configured_retries(start_supervisor):
    supervisor = start_supervisor(
        FAKE_TAILSCALED_CRASH_AFTER="0", TAILSCALE_BACKOFF=",".join(map(str, DELAYS))
    )
    DesiredConfig.update(enabled=True)

    status = wait_phase("failed", supervisor, timeout=40)

    assert supervisor.spawn_count() == 1 + len(DELAYS)
    assert status.restart_count == len(DELAYS)
    assert "gave up after 5 restarts" in status.last_error
    assert status.next_retry_at is None
    times = spawn_times(supervisor.log_text())
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
    for gap, delay in zip(gaps, DELAYS, strict=True):
        # Never earlier than the delay; late only by scheduling noise on a busy machine.
        assert delay <= gap < delay + 2.0, (gaps, DELAYS)
