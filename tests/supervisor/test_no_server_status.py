"""A tailscaled built without the debug feature has no /server-status (404):
readiness falls back to `status`, and the node still joins."""

import pytest

from tests.supervisor.helpers import join_interactively


@pytest.mark.django_db(transaction=True)
def test_it_joins_a_tailscaled_without_server_status(start_supervisor, fake_control):
    supervisor = start_supervisor(FAKE_TAILSCALED_NO_SERVER_STATUS="1")

    status = join_interactively(fake_control, supervisor)

    assert status.node_id
    assert "did not get ready" not in supervisor.log_text()
    assert supervisor.spawn_count() == 1
