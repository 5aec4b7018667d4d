"""kill -9 of the supervisor takes tailscaled down too; the next supervisor starts cleanly."""

import pytest
from django.utils import timezone

from tailscale_sidecar.simulator.harness import wait_for
from tests.fixtures.processes import pid_alive
from tests.supervisor.helpers import TIMEOUT, join_interactively, wait_running_after


@pytest.mark.django_db(transaction=True)
def test_tailscaled_dies_with_its_supervisor(start_supervisor, fake_control):
    first = start_supervisor()
    before = join_interactively(fake_control, first)
    orphan = first.tailscaled_pids()[-1]

    first.kill()
    wait_for(lambda: not pid_alive(orphan), timeout=TIMEOUT)

    since = timezone.now()
    second = start_supervisor()
    after = wait_running_after(since, second)
    assert second.spawn_count() == 1
    assert after.node_id == before.node_id
    assert after.supervisor_id.endswith(f":{second.pid}")
