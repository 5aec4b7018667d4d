"""kill -9 of the supervisor at random moments (start-up, restore, state sync).

Never two tailscaleds on our socket at once, no orphan once the next
supervisor is up, and the next supervisor restores the same node.
"""

from __future__ import annotations

import os
import random
import threading
import time

import pytest
from django.utils import timezone

from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.simulator.harness import wait_for
from tests.faults.helpers import newest_stored_state, socket_path, tailscaleds_for
from tests.fixtures.processes import pid_alive
from tests.supervisor.helpers import TIMEOUT, join_with_key, wait_running_after


class TailscaledCensus:
    """Counts tailscaleds on one socket, continuously, in a thread."""

    def __init__(self, socket: str) -> None:
        self.socket = socket
        self.most = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.most = max(self.most, len(tailscaleds_for(self.socket)))
            self._stop.wait(0.02)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def kill_supervisors(start_supervisor, kills: int) -> None:
    seed = os.environ.get("FAULT_SEED") or str(time.time_ns())
    print(f"FAULT_SEED={seed}")  # shown on failure, to replay the same timings
    rng = random.Random(seed)
    supervisor = start_supervisor()
    node_id = join_with_key(supervisor).node_id
    census = TailscaledCensus(socket_path(supervisor))
    try:
        for i in range(kills):
            if i % 2:
                DesiredConfig.update(hostname=f"sync-{i}")  # kill during a state sync
            time.sleep(rng.uniform(0, 1.5))  # fault timing, not an assertion
            orphans = tailscaleds_for(census.socket)
            supervisor.kill()
            since = timezone.now()
            supervisor = start_supervisor(supervisor.env)
            assert wait_running_after(since, supervisor).node_id == node_id
            assert not [pid for pid in orphans if pid_alive(pid)], "an orphan survived"
            wait_for(lambda: len(tailscaleds_for(census.socket)) == 1, timeout=TIMEOUT)
            newest_stored_state()
    finally:
        census.stop()
    assert census.most == 1, f"{census.most} tailscaleds ran on one socket at once"


@pytest.mark.django_db(transaction=True)
def test_one_tailscaled_and_the_same_node_after_supervisor_kills(start_supervisor):
    kill_supervisors(start_supervisor, kills=3)


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.django_db(transaction=True)
def test_one_tailscaled_and_the_same_node_after_30_supervisor_kills(start_supervisor):
    kill_supervisors(start_supervisor, kills=30)
