"""An empty or corrupt state file: keep running on memory, pinned to NoState (v1.92+)."""

import pytest

from tests.fixtures.simulator import post, running_prefs, status

STORE_HEALTH = (
    "State store failed to initialize, Tailscale will not work until this is resolved. "
    "See https://tailscale.com/s/state-store-init-error. Error: "
)


@pytest.mark.parametrize("content", [b"", b"{not json"])
def test_a_broken_state_file_pins_nostate(fake_tailscaled_factory, fake_control, content):
    daemon = fake_tailscaled_factory()
    daemon.state_path.parent.mkdir(mode=0o700)
    daemon.state_path.write_bytes(content)
    daemon.start()

    broken = status(daemon)
    assert broken["BackendState"] == "NoState"
    assert any(h.startswith(STORE_HEALTH) for h in broken["Health"])

    start = post(daemon, "start", {"UpdatePrefs": running_prefs(fake_control.url)})
    assert (start.status_code, start.text) == (
        500,
        "cannot start backend when state store is unhealthy\n",
    )
    login = post(daemon, "login-interactive")
    assert (login.status_code, login.text) == (500, "cannot log in when state store is unhealthy\n")
    assert daemon.state_path.read_bytes() == content  # the store never overwrites it
