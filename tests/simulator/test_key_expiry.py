"""Node key expiry: NeedsLogin via the map poll; re-auth keeps the node's ID and IPs."""

from tests.fixtures.simulator import BusRecorder, log_in, post, status, wait_for_state


def test_expiry_needs_login_and_reauth_keeps_identity(fake_tailscaled_factory, fake_control):
    daemon = fake_tailscaled_factory().start()
    before = log_in(daemon, fake_control, hostname="web")
    node_id = before["Self"]["ID"]

    fake_control.expire_key(node_id)
    expired = wait_for_state(daemon, "NeedsLogin")
    assert expired["Self"]["Expired"] is True
    assert expired["TailscaleIPs"] == before["TailscaleIPs"]  # the netmap is kept

    with BusRecorder(daemon) as bus:
        assert post(daemon, "login-interactive").status_code == 204
        url = bus.wait_for(lambda m: m["BrowseToURL"])["BrowseToURL"]
        fake_control.consent(url)
        bus.wait_for(lambda m: m["State"] == 6)
    after = status(daemon)
    assert after["Self"]["ID"] == node_id
    assert after["TailscaleIPs"] == before["TailscaleIPs"]
    assert after["Self"]["PublicKey"] != before["Self"]["PublicKey"]
    assert fake_control.node(node_id)["expired"] is False
