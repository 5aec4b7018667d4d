"""`start` and `logout` get their own timeout, longer than the client's probe timeout."""

import time

from tailscale_sidecar.localapi import LocalAPIClient
from tailscale_sidecar.localapi.client import SLOW_CALL_TIMEOUT
from tests.fixtures.simulator import running_prefs

PROBE_TIMEOUT = 1.0
START_DELAY = 2.5


def test_a_start_slower_than_the_probe_timeout_succeeds(
    fake_tailscaled_factory, state_dir, fake_control
):
    daemon = fake_tailscaled_factory(
        state_dir, env={"FAKE_TAILSCALED_START_DELAY": str(START_DELAY)}
    )
    daemon.start()

    with LocalAPIClient(daemon.socket_path, timeout=PROBE_TIMEOUT) as client:
        started = time.monotonic()
        client.start(running_prefs(fake_control.url))
        took = time.monotonic() - started
        assert START_DELAY <= took < SLOW_CALL_TIMEOUT
        # Reads keep the short timeout.
        assert client.prefs()["ControlURL"] == fake_control.url
    assert SLOW_CALL_TIMEOUT >= 15.0
