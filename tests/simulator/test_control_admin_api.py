"""The control admin API: node shape, pending auth URLs, delete, offline mode."""

import httpx

from tests.fixtures.simulator import BusRecorder, log_in, post, running_prefs, wait_for_state

NODE_FIELDS = {
    "id", "node_id", "hostname", "name", "dns_name", "ips", "node_key", "authorized",
    "expired", "key_expiry", "tags", "ephemeral", "online", "user", "exit_node", "exit_flows",
}  # fmt: skip


def test_a_node_has_the_documented_fields(fake_tailscaled_factory, fake_control):
    log_in(fake_tailscaled_factory().start(), fake_control, hostname="Web Server_1")
    (node,) = fake_control.nodes()
    assert set(node) == NODE_FIELDS
    assert node["id"].startswith("n") and node["id"].endswith("CNTRL")
    assert node["name"] == "web-server-1"
    assert node["ips"][0].startswith("100.") and node["ips"][1].startswith("fd7a:115c:a1e0:")
    assert node["online"] is True
    assert fake_control.node(node["id"]) == node


def test_pending_logins_are_listed(fake_tailscaled_factory, fake_control):
    daemon = fake_tailscaled_factory().start()
    with BusRecorder(daemon) as bus:
        post(daemon, "start", {"UpdatePrefs": running_prefs(fake_control.url, Hostname="web")})
        post(daemon, "login-interactive")
        url = bus.wait_for(lambda m: m["BrowseToURL"])["BrowseToURL"]
    assert fake_control.auth_urls() == [{"url": url, "hostname": "web"}]


def test_deleting_a_node_logs_its_daemon_out(fake_tailscaled_factory, fake_control):
    daemon = fake_tailscaled_factory().start()
    node_id = log_in(daemon, fake_control, hostname="web")["Self"]["ID"]
    fake_control.delete_node(node_id)
    wait_for_state(daemon, "NeedsLogin")
    assert fake_control.nodes() == []


def test_offline_control_refuses_machines_but_not_admins(fake_control):
    fake_control.set_offline(True)
    with httpx.Client(trust_env=False, timeout=5) as client:
        try:
            client.post(fake_control.url + "/machine/register", json={})
            answered = True
        except httpx.RemoteProtocolError:
            answered = False
        assert not answered
        assert client.get(fake_control.url + "/admin/api/nodes").json() == []
