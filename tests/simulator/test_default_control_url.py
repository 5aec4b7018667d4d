"""An empty ControlURL means Tailscale's own server, which is unreachable here."""

from tailscale_sidecar.simulator.harness import wait_for
from tests.fixtures.simulator import post, running_prefs, status


def test_an_empty_control_url_never_yields_an_auth_url(fake_tailscaled_factory):
    daemon = fake_tailscaled_factory().start()
    assert post(daemon, "start", {"UpdatePrefs": running_prefs("")}).status_code == 204
    assert post(daemon, "login-interactive").status_code == 204
    wait_for(lambda: "controlplane.tailscale.com" in daemon.stderr_text(), timeout=10)
    after = status(daemon)
    assert (after["BackendState"], after["AuthURL"]) == ("NeedsLogin", "")
