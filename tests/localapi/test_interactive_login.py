import ipaddress

from tailscale_sidecar.localapi import BackendState
from tailscale_sidecar.simulator.harness import wait_for
from tests.localapi.login_steps import node_prefs


def test_it_logs_in_through_the_browse_to_url(client, bus, fake_control):
    before = client.status()
    assert before.backend_state is BackendState.NeedsLogin
    assert not before.have_node_key
    prefs = node_prefs(fake_control.url, hostname="web-1")
    assert client.check_prefs(prefs) is None

    client.start(prefs)
    client.login_interactive()

    url = bus.wait(lambda n: n.browse_to_url is not None, what="a BrowseToURL").browse_to_url
    wait_for(lambda: client.status().auth_url == url, message="status.AuthURL = BrowseToURL")
    assert client.status().backend_state is BackendState.NeedsLogin

    fake_control.consent(url)

    finished = bus.wait(lambda n: n.login_finished, what="LoginFinished")
    running = bus.wait(lambda n: n.state is BackendState.Running, what="State Running")
    assert bus.messages.index(finished) < bus.messages.index(running)
    status = client.status()
    assert status.backend_state is BackendState.Running
    assert status.auth_url == ""
    assert status.have_node_key
    ipv4, ipv6 = (ipaddress.ip_address(ip) for ip in status.tailscale_ips)
    assert ipv4 in ipaddress.ip_network("100.64.0.0/10")
    assert ipv6 in ipaddress.ip_network("fd7a:115c:a1e0::/48")
    assert status.self_node.tailscale_ips == status.tailscale_ips
    assert status.self_node.dns_name == "web-1.tail1234.ts.net."
    assert status.self_node.host_name == "web-1"
    assert status.self_node.online
    assert status.magic_dns_suffix == "tail1234.ts.net"
    assert status.tailnet_name == "example.com"
