"""The app's outbound traffic through an exit node: chosen by name, applied through prefs,
and checked by a request through the proxy that the exit device records; an exit node
that goes offline is said on the page."""

import pytest

from tailscale_sidecar import actions
from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.simulator.harness import wait_for
from tests.fixtures.web import free_port
from tests.supervisor.helpers import TIMEOUT, observed, wait_phase


@pytest.fixture
def connected(start_supervisor, fake_control, peer_web):
    exit_id = fake_control.add_device("exit-fra", user="owner@example.com", exit_node=True)["id"]
    supervisor = start_supervisor(
        TAILSCALE_AUTHKEY=fake_control.create_auth_key(),
        TAILSCALE_OUTBOUND_PROXY_ADDR=f"127.0.0.1:{free_port()}",
        TAILSCALE_EXIT_NODE_CHECK_URL=f"http://127.0.0.1:{peer_web}/check",
        TAILSCALE_HEALTHCHECK_INTERVAL="1",
    )
    DesiredConfig.update(enabled=True, hostname="app")
    wait_phase("running", supervisor)
    wait_for(lambda: observed().exit_nodes, timeout=TIMEOUT, message=supervisor.log_text)
    return supervisor, exit_id


@pytest.mark.django_db(transaction=True)
def test_the_chosen_exit_node_carries_the_proxys_traffic(connected, fake_control, peer_web):
    supervisor, exit_id = connected
    assert [(o["id"], o["name"], o["online"]) for o in observed().exit_nodes] == [
        (exit_id, "exit-fra", True)
    ]

    actions.update_settings(exit_node="exit-fra.tail1234.ts.net")

    wait_for(
        lambda: observed().exit_node_status == {"id": exit_id, "online": True},
        timeout=TIMEOUT,
        message=supervisor.log_text,
    )
    flows = wait_for(lambda: fake_control.node(exit_id)["exit_flows"], timeout=TIMEOUT)
    assert flows[-1]["dest"] == f"127.0.0.1:{peer_web}"
    wait_for(lambda: "traffic gets through" in supervisor.log_text(), timeout=TIMEOUT)
    assert observed().exit_node_error == ""


@pytest.mark.django_db(transaction=True)
def test_an_offline_exit_node_is_said_with_the_likely_causes(connected, fake_control):
    supervisor, exit_id = connected
    actions.update_settings(exit_node="exit-fra")
    wait_for(lambda: "traffic gets through" in supervisor.log_text(), timeout=TIMEOUT)

    fake_control.set_online(exit_id, False)

    error = wait_for(
        lambda: observed().exit_node_error, timeout=TIMEOUT, message=supervisor.log_text
    )
    assert error.startswith("Exit node exit-fra is selected but traffic does not get through")
    assert "autogroup:internet" in error

    fake_control.set_online(exit_id, True)
    wait_for(lambda: observed().exit_node_error == "", timeout=TIMEOUT, message=supervisor.log_text)


@pytest.mark.django_db(transaction=True)
def test_no_exit_node_sends_traffic_straight_out(connected, fake_control):
    supervisor, exit_id = connected
    actions.update_settings(exit_node="exit-fra")
    wait_for(lambda: observed().exit_node_status.get("id") == exit_id, timeout=TIMEOUT)

    actions.update_settings(exit_node="")

    wait_for(
        lambda: observed().exit_node_status == {}, timeout=TIMEOUT, message=supervisor.log_text
    )
    assert observed().exit_node_error == ""
