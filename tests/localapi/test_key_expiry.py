from tailscale_sidecar.localapi import BackendState
from tailscale_sidecar.simulator.harness import wait_for
from tests.localapi.login_steps import log_in_with_key


def test_it_needs_login_after_key_expiry_and_reauth_keeps_the_node(client, bus, fake_control):
    before = log_in_with_key(client, bus, fake_control)
    since = bus.mark()

    fake_control.expire_key(before.self_node.id)

    bus.wait(lambda n: n.state is BackendState.NeedsLogin, since=since, what="NeedsLogin")
    assert client.status().backend_state is BackendState.NeedsLogin

    since = bus.mark()
    client.login_interactive()
    url = bus.wait(lambda n: n.browse_to_url is not None, since=since, what="a BrowseToURL")
    fake_control.consent(url.browse_to_url)
    bus.wait(lambda n: n.state is BackendState.Running, since=since, what="State Running")

    wait_for(lambda: client.status().self_node.key_expiry is not None, message="a key expiry")
    after = client.status()
    assert after.backend_state is BackendState.Running
    assert after.self_node.id == before.self_node.id
    assert after.tailscale_ips == before.tailscale_ips
    assert after.self_node.public_key != before.self_node.public_key
    assert not after.self_node.expired
