from tailscale_sidecar.localapi import LocalAPIClient
from tailscale_sidecar.simulator.harness import wait_for


def test_it_reports_not_ready_until_the_backend_starts(fake_tailscaled_factory, state_dir):
    daemon = fake_tailscaled_factory(state_dir, env={"TS_DEBUG_BACKEND_DELAY_SEC": "3"})
    daemon.start(wait=False)
    wait_for(daemon.socket_path.exists, timeout=20, message="the LocalAPI socket")

    with LocalAPIClient(daemon.socket_path, timeout=5.0) as client:
        assert client.server_status() is False
        wait_for(client.server_status, timeout=20, message="server-status 200")
        assert client.status().version
