"""Disable stops tailscaled but keeps the identity; enabling again needs no login."""

import pytest
from django.utils import timezone

from tailscale_sidecar.models import DesiredConfig, StoredState
from tailscale_sidecar.simulator.harness import wait_for
from tests.fixtures.processes import pid_alive
from tests.supervisor.helpers import (
    TIMEOUT,
    join_interactively,
    observed,
    wait_phase,
    wait_running_after,
)


@pytest.mark.django_db(transaction=True)
def test_reenabling_brings_back_the_same_node_without_login(start_supervisor, fake_control):
    supervisor = start_supervisor()
    before = join_interactively(fake_control, supervisor)
    pid = supervisor.tailscaled_pids()[-1]

    DesiredConfig.update(enabled=False)
    wait_phase("disabled", supervisor)
    wait_for(lambda: not pid_alive(pid), timeout=TIMEOUT)
    assert StoredState.objects.exists()
    assert observed().node_id == before.node_id

    since = timezone.now()
    DesiredConfig.update(enabled=True)
    after = wait_running_after(since, supervisor)

    assert supervisor.spawn_count() == 2
    assert after.node_id == before.node_id
    assert after.auth_url == ""
    assert len(fake_control.nodes()) == 1
