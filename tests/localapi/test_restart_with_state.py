import json

from tailscale_sidecar.localapi import BackendState, LocalAPIClient
from tailscale_sidecar.simulator.harness import wait_for
from tests.localapi.login_steps import log_in_with_key


def _has_profile(path) -> bool:
    try:
        return "_current-profile" in json.loads(path.read_text())
    except (OSError, ValueError):
        return False


def test_it_comes_back_running_from_its_state_file(
    daemon, client, bus, fake_control, fake_tailscaled_factory, state_dir
):
    before = log_in_with_key(client, bus, fake_control)
    wait_for(lambda: _has_profile(daemon.state_path), message="the profile on disk")
    bus.stream.close()
    client.close()
    assert daemon.stop() == 0

    again = fake_tailscaled_factory(state_dir)
    again.start()
    with LocalAPIClient(again.socket_path, timeout=10.0) as restarted:
        # No start, no login: the stored node key logs in by itself.
        wait_for(
            lambda: restarted.status().backend_state is BackendState.Running,
            timeout=20,
            message="Running after restart",
        )
        after = restarted.status()
    assert after.self_node.id == before.self_node.id
    assert after.self_node.public_key == before.self_node.public_key
    assert after.tailscale_ips == before.tailscale_ips
    assert after.self_node.dns_name == before.self_node.dns_name
