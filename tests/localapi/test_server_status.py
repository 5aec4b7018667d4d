import pytest

from tailscale_sidecar.localapi import LocalAPIClient, NotFound
from tailscale_sidecar.simulator.harness import wait_for


def test_it_reports_not_ready_until_the_backend_starts(fake_tailscaled_factory, state_dir):
    daemon = fake_tailscaled_factory(state_dir, env={"TS_DEBUG_BACKEND_DELAY_SEC": "3"})
    daemon.start(wait=False)
    wait_for(daemon.socket_path.exists, timeout=20, message="the LocalAPI socket")

    with LocalAPIClient(daemon.socket_path, timeout=5.0) as client:
        assert client.server_status() is False
        wait_for(client.server_status, timeout=20, message="server-status 200")
        assert client.status().version


def test_readiness_falls_back_to_status_when_server_status_is_missing(
    fake_tailscaled_factory, state_dir
):
    # Builds without the debug feature answer /server-status with 404.
    daemon = fake_tailscaled_factory(
        state_dir,
        env={"FAKE_TAILSCALED_NO_SERVER_STATUS": "1", "TS_DEBUG_BACKEND_DELAY_SEC": "1"},
    )
    daemon.start(wait=False)
    wait_for(daemon.socket_path.exists, timeout=20, message="the LocalAPI socket")

    with LocalAPIClient(daemon.socket_path, timeout=5.0) as client:
        with pytest.raises(NotFound):
            client.server_status()
        # `status` blocks until the backend is ready, then answers.
        assert client.ready() is True
        assert client.status().backend_state == "NeedsLogin"
