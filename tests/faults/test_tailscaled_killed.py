"""kill -9 of tailscaled at random moments, some in the middle of a state write.

After every kill the node is Running again as the same node, and the newest
stored state decrypts to a valid identity.
"""

from __future__ import annotations

import os
import random
import signal
import time

import pytest

from tailscale_sidecar.models import DesiredConfig, ObservedStatus
from tailscale_sidecar.simulator.harness import wait_for
from tests.faults.helpers import newest_stored_state, wait_respawned, wait_running_as
from tests.supervisor.helpers import TIMEOUT, join_with_key, tailscaled_pid


def kill_repeatedly(start_supervisor, kills: int) -> None:
    seed = os.environ.get("FAULT_SEED") or str(time.time_ns())
    print(f"FAULT_SEED={seed}")  # shown on failure, to replay the same timings
    rng = random.Random(seed)
    supervisor = start_supervisor()
    node_id = join_with_key(supervisor).node_id
    for i in range(kills):
        wait_for(lambda: ObservedStatus.load().restart_count == 0, timeout=TIMEOUT)
        victim = tailscaled_pid(supervisor)
        if i % 2:
            # A hostname change makes tailscaled rewrite its state file: kill into it.
            DesiredConfig.update(hostname=f"fault-{i}")
        time.sleep(rng.uniform(0, 0.3))  # fault timing, not an assertion
        os.kill(victim, signal.SIGKILL)
        wait_respawned(victim, supervisor)
        wait_running_as(node_id, supervisor)
        newest_stored_state()
    assert supervisor.alive()


@pytest.mark.django_db(transaction=True)
def test_it_comes_back_as_the_same_node_after_random_kills(start_supervisor):
    kill_repeatedly(start_supervisor, kills=5)


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.django_db(transaction=True)
def test_it_comes_back_as_the_same_node_after_100_random_kills(start_supervisor):
    kill_repeatedly(start_supervisor, kills=100)
