import time

import pytest

from tailscale_sidecar.localapi import LocalAPIClient, LocalAPITimeout
from tailscale_sidecar.simulator.harness import wait_for


def _times_out(client: LocalAPIClient) -> bool:
    try:
        client.status()
    except LocalAPITimeout:
        return True
    return False


def test_it_raises_local_api_timeout_when_the_daemon_hangs(fake_tailscaled_factory, state_dir):
    daemon = fake_tailscaled_factory(state_dir, env={"FAKE_TAILSCALED_HANG_AFTER": "3"})
    daemon.start()

    with LocalAPIClient(daemon.socket_path, timeout=1.0) as client:
        assert client.server_status() is True
        wait_for(lambda: _times_out(client), timeout=20, message="a LocalAPITimeout")

        started = time.monotonic()
        with pytest.raises(LocalAPITimeout), client.watch_ipn_bus():
            pass
        # The bus has no read timeout on its body, but its headers do.
        assert time.monotonic() - started < 5.0
