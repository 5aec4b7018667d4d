"""logout: a no-op without a node key; otherwise expires the node at control."""

from tests.fixtures.simulator import log_in, post, status
from tests.simulator.test_state_file import decoded


def test_logout_without_a_node_key_is_a_no_op(fake_tailscaled_factory):
    daemon = fake_tailscaled_factory().start()
    response = post(daemon, "logout")
    assert (response.status_code, response.text) == (204, "")
    assert daemon.state_path.read_text() == "{}"


def test_logout_forgets_the_profile_and_needs_login(fake_tailscaled_factory, fake_control):
    daemon = fake_tailscaled_factory().start()
    node_id = log_in(daemon, fake_control, hostname="web")["Self"]["ID"]
    assert post(daemon, "logout").status_code == 204

    after = status(daemon)
    assert after["BackendState"] == "NeedsLogin"
    assert after["TailscaleIPs"] is None
    values = decoded(daemon.state_path)
    assert values["_profiles"] == b"{}"
    assert "_machinekey" in values
    assert not any(k.startswith("profile-") for k in values)
    assert fake_control.node(node_id)["expired"] is True


def test_logout_needs_control(fake_tailscaled_factory, fake_control):
    daemon = fake_tailscaled_factory().start()
    log_in(daemon, fake_control, hostname="web")
    fake_control.set_offline(True)
    response = post(daemon, "logout")
    assert response.status_code == 500
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text.startswith("logout: ")


def test_reset_auth_wipes_identity_without_control(fake_tailscaled_factory, fake_control):
    daemon = fake_tailscaled_factory().start()
    node_id = log_in(daemon, fake_control, hostname="web")["Self"]["ID"]
    fake_control.set_offline(True)
    assert post(daemon, "reset-auth").status_code == 204
    assert status(daemon)["BackendState"] == "NeedsLogin"
    values = decoded(daemon.state_path)
    assert "_machinekey" not in values
    assert not any(k.startswith("profile-") for k in values)
    fake_control.set_offline(False)
    assert fake_control.node(node_id)["expired"] is False  # control was never told
