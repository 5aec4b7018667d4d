"""Reset logs the node out at control and forgets it everywhere."""

import pytest

from tailscale_sidecar.models import DesiredConfig, StoredState
from tailscale_sidecar.simulator.harness import wait_for
from tests.supervisor.helpers import TIMEOUT, data_dir, join_interactively, observed, wait_phase


@pytest.mark.django_db(transaction=True)
def test_reset_removes_the_device_and_wipes_the_state(start_supervisor, fake_control):
    supervisor = start_supervisor()
    before = join_interactively(fake_control, supervisor)
    assert not fake_control.node(before.node_id)["expired"]

    DesiredConfig.update(enabled=False)
    wanted = DesiredConfig.bump("reset_generation").reset_generation
    wait_for(lambda: observed().reset_done_generation == wanted, timeout=TIMEOUT)

    status = wait_phase("disabled", supervisor)
    assert status.node_id == ""
    assert status.tailnet_ips == []
    assert status.dns_name == ""
    assert not StoredState.objects.exists()
    assert not (data_dir(supervisor) / "tailscale" / "tailscaled.state").exists()
    assert "logged the node out of control" in supervisor.log_text()
    node = fake_control.node(before.node_id)
    assert node["expired"]
    assert node["node_key"] == ""


@pytest.mark.django_db(transaction=True)
def test_reset_of_a_disabled_node_still_logs_it_out(start_supervisor, fake_control):
    supervisor = start_supervisor()
    before = join_interactively(fake_control, supervisor)
    DesiredConfig.update(enabled=False)
    wait_phase("disabled", supervisor)

    wanted = DesiredConfig.bump("reset_generation").reset_generation
    wait_for(lambda: observed().reset_done_generation == wanted, timeout=TIMEOUT)

    # tailscaled was started once more, only to log out.
    assert supervisor.spawn_count() == 2
    assert fake_control.node(before.node_id)["expired"]
    assert not StoredState.objects.exists()
    assert observed().phase == "disabled"
