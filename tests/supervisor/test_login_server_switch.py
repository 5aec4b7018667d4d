"""Moving to another login server logs the node out of the old one first, so the device
does not stay behind in the old server's admin console."""

import tempfile
from pathlib import Path

import pytest

from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.simulator.harness import FakeControl, wait_for
from tests.supervisor.helpers import TIMEOUT, join_interactively, observed, wait_phase


@pytest.fixture
def other_control():
    control = FakeControl(Path(tempfile.mkdtemp(prefix="ctl2-", dir="/tmp")), tailnet="other.org")
    control.start()
    try:
        yield control
    finally:
        control.stop()


@pytest.mark.django_db(transaction=True)
def test_a_new_login_server_gets_the_node_after_a_logout_from_the_old_one(
    start_supervisor, fake_control, other_control
):
    supervisor = start_supervisor()
    before = join_interactively(fake_control, supervisor)
    assert fake_control.node(before.node_id)["node_key"]

    DesiredConfig.update(control_url=other_control.url)

    auth_url = wait_for(
        lambda: (url := observed().auth_url).startswith(other_control.url) and url,
        timeout=TIMEOUT,
        message=supervisor.log_text,
    )
    # Logged out of the old server before the new one was asked.
    assert fake_control.node(before.node_id)["node_key"] == ""
    assert "logging out of the old one first" in supervisor.log_text()

    other_control.consent(auth_url)
    after = wait_phase("running", supervisor)
    assert after.tailnet_name == "other.org"
    assert [n["id"] for n in other_control.nodes()] == [after.node_id]
