"""Device approval: NeedsMachineAuth until an admin approves, then Running."""

from tests.fixtures.simulator import post, running_prefs, wait_for_state


def test_it_waits_for_approval_then_runs(fake_tailscaled_factory, fake_control):
    fake_control.set_require_machine_auth(True)
    daemon = fake_tailscaled_factory().start()
    key = fake_control.create_auth_key(preauthorized=False)
    post(daemon, "start", {"AuthKey": key, "UpdatePrefs": running_prefs(fake_control.url)})
    post(daemon, "login-interactive")
    waiting = wait_for_state(daemon, "NeedsMachineAuth")
    node = fake_control.nodes()[0]
    assert node["authorized"] is False
    assert waiting["Self"]["ID"] == node["id"]

    fake_control.approve(node["id"])
    wait_for_state(daemon, "Running")
    assert fake_control.node(node["id"])["authorized"] is True
