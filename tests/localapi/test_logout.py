import json

from tailscale_sidecar.localapi import BackendState
from tailscale_sidecar.simulator.harness import wait_for
from tests.localapi.login_steps import log_in_with_key

ZERO_NODE_KEY = "nodekey:" + "0" * 64


def _stored_profiles(path) -> list[str]:
    return [key for key in json.loads(path.read_text()) if key.startswith("profile-")]


def test_it_logs_out_and_drops_the_node_key(daemon, client, bus, fake_control):
    before = log_in_with_key(client, bus, fake_control)
    wait_for(lambda: _stored_profiles(daemon.state_path), message="the profile on disk")
    since = bus.mark()

    client.logout(timeout=10.0)

    bus.wait(lambda n: n.state is BackendState.NeedsLogin, since=since, what="NeedsLogin")
    status = client.status()
    assert status.backend_state is BackendState.NeedsLogin
    assert not status.have_node_key
    assert status.self_node.public_key == ZERO_NODE_KEY
    assert _stored_profiles(daemon.state_path) == []
    assert fake_control.node(before.self_node.id)["expired"]
