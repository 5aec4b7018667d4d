"""Without a tailscaled binary the phase says how to fix it, and nothing is spawned."""

import pytest

from tailscale_sidecar.models import DesiredConfig
from tests.supervisor.helpers import wait_phase


@pytest.mark.django_db(transaction=True)
def test_a_missing_binary_is_reported_with_the_fix(supervisor_process, child_env):
    supervisor = supervisor_process(child_env, TAILSCALED_BIN="/nonexistent/tailscaled")
    DesiredConfig.update(enabled=True)

    status = wait_phase("unavailable", supervisor)

    assert "TAILSCALED_BIN" in status.last_error
    assert supervisor.spawn_count() == 0
    assert supervisor.stop() == 0
