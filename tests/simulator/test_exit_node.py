"""Exit nodes: devices that offer one, prefs that choose one, and proxy traffic through it.

Loopback stands for the internet behind an exit node: a local HTTP server is
the "peer_web", and the exit device's `exit_flows` show what it carried.
"""

import socket
import struct

import httpx
import pytest

from tailscale_sidecar.simulator.harness import FakeControl, FakeTailscaled
from tests.fixtures.simulator import log_in, post, running_prefs, status, wait_for, wait_for_state
from tests.fixtures.web import free_port


def peer(daemon: FakeTailscaled, node_id: object) -> dict | None:
    peers = status(daemon)["Peer"] or {}
    return next((p for p in peers.values() if p["ID"] == node_id), None)


def patch_prefs(daemon: FakeTailscaled, **fields: object) -> httpx.Response:
    body = {**fields, **{f"{name}Set": True for name in fields}}
    return daemon.request("PATCH", "/localapi/v0/prefs", json=body)


def admin_post(control: FakeControl, path: str, body: dict) -> httpx.Response:
    with httpx.Client(trust_env=False, timeout=10) as client:
        return client.post(control.url + path, json=body)


# --- proxy clients --------------------------------------------------------
def read_all(s: socket.socket) -> bytes:
    data = b""
    while chunk := s.recv(4096):
        data += chunk
    return data


def via_connect(proxy: tuple[str, int], dest: str) -> tuple[str, bytes]:
    """CONNECT through the HTTP proxy, then GET /connect: (proxy's reply head, rest)."""
    with socket.create_connection(proxy, timeout=10) as s:
        s.sendall(f"CONNECT {dest} HTTP/1.1\r\nHost: {dest}\r\n\r\n".encode())
        reply = b""
        while b"\r\n\r\n" not in reply and (chunk := s.recv(4096)):
            reply += chunk
        head, _, rest = reply.partition(b"\r\n\r\n")
        if head.startswith(b"HTTP/1.1 200"):
            s.sendall(b"GET /connect HTTP/1.0\r\n\r\n")
            rest += read_all(s)
        return head.decode(), rest


def via_url(proxy: tuple[str, int], url: str) -> httpx.Response:
    """Absolute-URL forwarding through the HTTP proxy."""
    with httpx.Client(proxy=f"http://{proxy[0]}:{proxy[1]}", trust_env=False, timeout=10) as c:
        return c.get(url)


def via_socks5(proxy: tuple[str, int], port: int) -> tuple[int, bytes]:
    """SOCKS5 CONNECT to 127.0.0.1:port, then GET /socks: (reply code, HTTP reply)."""
    with socket.create_connection(proxy, timeout=10) as s:
        s.sendall(b"\x05\x01\x00")
        assert s.recv(2) == b"\x05\x00"
        s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack(">H", port))
        reply = s.recv(10)
        if reply[1] != 0:
            return reply[1], b""
        s.sendall(b"GET /socks HTTP/1.0\r\n\r\n")
        return 0, read_all(s)


@pytest.fixture
def client(fake_control, fake_tailscaled_factory):
    """A logged-in node with an HTTP proxy and a SOCKS5 server: (daemon, http, socks)."""
    http_proxy = ("127.0.0.1", free_port())
    socks = ("127.0.0.1", free_port())
    daemon = fake_tailscaled_factory(
        extra_args=[
            f"--outbound-http-proxy-listen={http_proxy[0]}:{http_proxy[1]}",
            f"--socks5-server={socks[0]}:{socks[1]}",
        ]
    ).start()
    log_in(daemon, fake_control, hostname="client")
    return daemon, http_proxy, socks


# --- control ---------------------------------------------------------------
def test_an_exit_device_is_an_exit_node_option(fake_tailscaled_factory, fake_control):
    daemon = fake_tailscaled_factory().start()
    log_in(daemon, fake_control, hostname="web")
    exit_device = fake_control.add_device("exit-1", tags=["tag:exit"], exit_node=True)
    phone = fake_control.add_device("phone", user="owner@example.com")
    assert exit_device["exit_node"] is True and exit_device["exit_flows"] == []
    assert phone["exit_node"] is False and phone["exit_flows"] == []
    assert fake_control.node(str(exit_device["id"]))["exit_node"] is True

    exit_peer = wait_for(lambda: peer(daemon, exit_device["id"]))
    assert exit_peer["ExitNodeOption"] is True and exit_peer["ExitNode"] is False
    assert exit_peer["Online"] is True
    assert {"0.0.0.0/0", "::/0"} <= set(exit_peer["AllowedIPs"])
    phone_peer = wait_for(lambda: peer(daemon, phone["id"]))
    assert phone_peer["ExitNodeOption"] is False
    assert status(daemon)["Self"]["ExitNodeOption"] is False
    assert "ExitNodeStatus" not in status(daemon)


def test_devices_go_offline_and_back(fake_tailscaled_factory, fake_control):
    daemon = fake_tailscaled_factory().start()
    node_id = log_in(daemon, fake_control, hostname="web")["Self"]["ID"]
    device = fake_control.add_device("exit-1", tags=["tag:exit"], exit_node=True)
    wait_for(lambda: peer(daemon, device["id"]))

    answer = fake_control.set_online(str(device["id"]), False)
    assert answer == {**device, "online": False}
    wait_for(lambda: peer(daemon, device["id"])["Online"] is False)
    assert fake_control.node(str(device["id"]))["online"] is False
    fake_control.set_online(str(device["id"]), True)
    wait_for(lambda: peer(daemon, device["id"])["Online"] is True)

    path = "/admin/api/nodes/{}/online"
    assert admin_post(fake_control, path.format("nNopeCNTRL"), {"online": False}).status_code == 404
    has_daemon = admin_post(fake_control, path.format(node_id), {"online": False})
    assert has_daemon.status_code == 400 and "daemon" in has_daemon.json()["error"]
    not_bool = admin_post(fake_control, path.format(device["id"]), {"online": "no"})
    assert not_bool.status_code == 400


def test_exit_dial_on_the_machine_protocol(fake_control, peer_web):
    source = fake_control.add_device("laptop", user="owner@example.com")
    exit_device = fake_control.add_device("exit-1", tags=["tag:exit"], exit_node=True)
    plain = fake_control.add_device("phone", user="owner@example.com")

    def exit_dial(node_key: object, exit_id: object, dest: str) -> httpx.Response:
        body = {"node_key": node_key, "exit": exit_id, "dest": dest}
        return admin_post(fake_control, "/machine/exit-dial", body)

    dest = f"127.0.0.1:{peer_web}"
    ok = exit_dial(source["node_key"], exit_device["id"], dest)
    assert ok.status_code == 200 and set(ok.json()) == {"address"}
    host, _, port = ok.json()["address"].rpartition(":")
    assert host == "127.0.0.1"
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"GET /exit HTTP/1.0\r\n\r\n")
        assert read_all(s).endswith(b"hello from /exit")
    flows = fake_control.node(str(exit_device["id"]))["exit_flows"]
    assert flows == [{"from": source["id"], "dest": dest}]

    assert exit_dial("nodekey:" + "0" * 64, exit_device["id"], dest).status_code == 401
    assert "not found" in exit_dial(source["node_key"], "nNopeCNTRL", dest).json()["error"]
    not_exit = exit_dial(source["node_key"], plain["id"], dest).json()
    assert not_exit == {"error": "node phone is not an exit node"}
    assert exit_dial(source["node_key"], exit_device["id"], "no-port").status_code == 400
    fake_control.set_online(str(exit_device["id"]), False)
    offline = exit_dial(source["node_key"], exit_device["id"], dest).json()
    assert offline == {"error": "exit node exit-1 is offline"}
    assert fake_control.node(str(exit_device["id"]))["exit_flows"] == flows


# --- prefs and status ------------------------------------------------------
def test_exit_node_id_shows_in_status(fake_tailscaled_factory, fake_control):
    daemon = fake_tailscaled_factory().start()
    log_in(daemon, fake_control, hostname="web")
    exit_device = fake_control.add_device("exit-1", tags=["tag:exit"], exit_node=True)
    other = fake_control.add_device("exit-2", tags=["tag:exit"], exit_node=True)
    wait_for(lambda: peer(daemon, other["id"]))

    answer = patch_prefs(daemon, ExitNodeID=exit_device["id"], ExitNodeAllowLANAccess=True)
    assert answer.status_code == 200
    assert answer.json()["ExitNodeID"] == exit_device["id"]
    assert answer.json()["ExitNodeAllowLANAccess"] is True
    st = status(daemon)
    v4, v6 = exit_device["ips"]
    assert st["ExitNodeStatus"] == {
        "ID": exit_device["id"],
        "Online": True,
        "TailscaleIPs": [f"{v4}/32", f"{v6}/128"],
    }
    keys = list(st)
    assert keys.index("ExitNodeStatus") == keys.index("Self") + 1
    assert peer(daemon, exit_device["id"])["ExitNode"] is True
    assert peer(daemon, other["id"])["ExitNode"] is False

    fake_control.set_online(str(exit_device["id"]), False)
    wait_for(lambda: status(daemon)["ExitNodeStatus"]["Online"] is False)
    assert peer(daemon, exit_device["id"])["Online"] is False

    assert patch_prefs(daemon, ExitNodeID="").json()["ExitNodeID"] == ""
    assert "ExitNodeStatus" not in status(daemon)
    assert peer(daemon, exit_device["id"])["ExitNode"] is False
    # A node not in the netmap is a valid pref, but there is no ExitNodeStatus for it.
    assert patch_prefs(daemon, ExitNodeID="nNopeCNTRL").status_code == 200
    assert "ExitNodeStatus" not in status(daemon)


def test_exit_node_ip_becomes_exit_node_id(fake_tailscaled_factory, fake_control):
    exit_device = fake_control.add_device("exit-1", tags=["tag:exit"], exit_node=True)
    other = fake_control.add_device("exit-2", tags=["tag:exit"], exit_node=True)
    daemon = fake_tailscaled_factory().start()
    # Chosen before the first netmap: resolved when it arrives.
    prefs = running_prefs(fake_control.url, Hostname="web", ExitNodeIP=exit_device["ips"][0])
    start = {"AuthKey": fake_control.create_auth_key(), "UpdatePrefs": prefs}
    assert post(daemon, "start", start).status_code == 204
    assert post(daemon, "login-interactive").status_code == 204
    wait_for_state(daemon, "Running")
    got = wait_for(lambda: (p := daemon.get("/localapi/v0/prefs").json())["ExitNodeID"] and p)
    assert (got["ExitNodeID"], got["ExitNodeIP"]) == (exit_device["id"], "")
    assert status(daemon)["ExitNodeStatus"]["ID"] == exit_device["id"]

    # With a netmap, at once; the IPv6 address works too.
    answer = patch_prefs(daemon, ExitNodeIP=other["ips"][1]).json()
    assert (answer["ExitNodeID"], answer["ExitNodeIP"]) == (other["id"], "")

    # An IP no node has: kept, and the ID it replaces is cleared (IP wins).
    answer = patch_prefs(daemon, ExitNodeIP="192.0.2.1").json()
    assert (answer["ExitNodeID"], answer["ExitNodeIP"]) == ("", "192.0.2.1")
    assert "ExitNodeStatus" not in status(daemon)

    bad = patch_prefs(daemon, ExitNodeIP="not-an-ip")
    assert bad.status_code == 400 and "ParseAddr" in bad.json()["Error"]
    both = patch_prefs(daemon, ExitNodeID=other["id"], AdvertiseRoutes=["0.0.0.0/0", "::/0"])
    assert both.status_code == 400
    assert both.json()["Error"] == (
        "Cannot advertise an exit node and use an exit node at the same time."
    )


# --- the outbound proxies --------------------------------------------------
def test_proxy_traffic_goes_through_the_exit_node(fake_control, client, peer_web):
    daemon, http_proxy, socks = client
    self_id = status(daemon)["Self"]["ID"]
    exit_device = fake_control.add_device("exit-1", tags=["tag:exit"], exit_node=True)
    exit_id = str(exit_device["id"])
    wait_for(lambda: peer(daemon, exit_id))
    dest = f"127.0.0.1:{peer_web}"

    # No exit node: dialled directly, nothing crosses the exit device.
    assert via_url(http_proxy, f"http://{dest}/direct").text == "hello from /direct"
    assert fake_control.node(exit_id)["exit_flows"] == []

    assert patch_prefs(daemon, ExitNodeID=exit_id).status_code == 200
    response = via_url(http_proxy, f"http://{dest}/url")
    assert (response.status_code, response.text) == (200, "hello from /url")
    head, body = via_connect(http_proxy, dest)
    assert head.startswith("HTTP/1.1 200") and body.endswith(b"hello from /connect")
    code, reply = via_socks5(socks, peer_web)
    assert code == 0 and reply.endswith(b"hello from /socks")
    flow = {"from": self_id, "dest": dest}
    assert fake_control.node(exit_id)["exit_flows"] == [flow, flow, flow]
    # A tailnet peer is reached directly, not through the exit node.
    assert via_url(http_proxy, f"http://exit-1:{peer_web}/peer").text == "hello from /peer"
    assert len(fake_control.node(exit_id)["exit_flows"]) == 3


def test_an_offline_exit_node_fails_the_dial(fake_control, client, peer_web):
    daemon, http_proxy, socks = client
    exit_device = fake_control.add_device("exit-1", tags=["tag:exit"], exit_node=True)
    exit_id = str(exit_device["id"])
    wait_for(lambda: peer(daemon, exit_id))
    assert patch_prefs(daemon, ExitNodeID=exit_id).status_code == 200
    fake_control.set_online(exit_id, False)
    wait_for(lambda: status(daemon)["ExitNodeStatus"]["Online"] is False)
    dest = f"127.0.0.1:{peer_web}"

    head, body = via_connect(http_proxy, dest)
    assert head.startswith("HTTP/1.1 500 ")
    error = f"dial tcp {dest}: exit node exit-1 is offline"
    assert f"\r\nTailscale-Connect-Error: {error}" in head
    assert body == f"{error}\n".encode()
    assert via_url(http_proxy, f"http://{dest}/url").status_code == 502
    assert via_socks5(socks, peer_web)[0] == 1  # general failure
    assert fake_control.node(exit_id)["exit_flows"] == []

    # Back online, the exit node carries traffic again.
    fake_control.set_online(exit_id, True)
    wait_for(lambda: status(daemon)["ExitNodeStatus"]["Online"] is True)
    assert via_connect(http_proxy, dest)[0].startswith("HTTP/1.1 200")
    assert len(fake_control.node(exit_id)["exit_flows"]) == 1
