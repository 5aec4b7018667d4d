"""The outbound proxies reach a peer's MagicDNS name, FQDN or IP on this loopback."""

import re
import shutil
import socket
import struct
import tempfile
from pathlib import Path

import httpx
import pytest

from tailscale_sidecar.simulator.harness import FakeControl, FakeTailscaled
from tests.fixtures.simulator import log_in
from tests.fixtures.web import free_port


@pytest.fixture(scope="module")
def two_nodes():
    """A client node with one shared SOCKS5+HTTP listener, and a peer: started once."""
    shared = f"127.0.0.1:{free_port()}"
    root = Path(tempfile.mkdtemp(prefix="ts-", dir="/tmp"))
    with FakeControl(root / "control") as control:
        client = FakeTailscaled(
            root / "client",
            extra_args=[f"--socks5-server={shared}", f"--outbound-http-proxy-listen={shared}"],
        )
        peer = FakeTailscaled(root / "peer")
        try:
            key = control.create_auth_key(reusable=True)
            log_in(client.start(), control, hostname="client", auth_key=key)
            peer_status = log_in(peer.start(), control, hostname="peer", auth_key=key)
            yield client, peer_status, shared
        finally:
            client.stop()
            peer.stop()
            shutil.rmtree(root, ignore_errors=True)
            shutil.rmtree(client.socket_dir, ignore_errors=True)
            shutil.rmtree(peer.socket_dir, ignore_errors=True)


def proxied(proxy: str, url: str) -> httpx.Response:
    with httpx.Client(proxy=f"http://{proxy}", trust_env=False, timeout=10) as client:
        return client.get(url)


def test_the_http_proxy_reaches_a_peer_by_name_and_ip(two_nodes, peer_web):
    client, peer, proxy = two_nodes
    assert f"SOCKS5 listening on {proxy}" in client.stderr_text()
    assert f"HTTP proxy listening on {proxy}" in client.stderr_text()
    for host in ("peer", "peer.tail1234.ts.net", peer["TailscaleIPs"][0]):
        response = proxied(proxy, f"http://{host}:{peer_web}/x")
        assert (response.status_code, response.text) == (200, "hello from /x")


def test_socks5_on_the_shared_listener_reaches_the_peer(two_nodes, peer_web):
    _client, _peer, proxy = two_nodes
    host, port = proxy.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"\x05\x01\x00")
        assert s.recv(2) == b"\x05\x00"
        name = b"peer"
        s.sendall(b"\x05\x01\x00\x03" + bytes([len(name)]) + name + struct.pack(">H", peer_web))
        assert s.recv(10)[:2] == b"\x05\x00"
        s.sendall(b"GET /socks HTTP/1.0\r\n\r\n")
        reply = b""
        while chunk := s.recv(4096):
            reply += chunk
    assert reply.endswith(b"hello from /socks")


def test_proxy_errors_have_tailscaleds_shapes(two_nodes):
    _client, _peer, proxy = two_nodes
    host, port = proxy.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"GET /relative HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = s.recv(4096).decode()
    assert reply.startswith("HTTP/1.1 400 ")
    assert reply.endswith("bogus RequestURI; must be absolute URL or CONNECT\n")

    closed = free_port()
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(f"CONNECT peer:{closed} HTTP/1.1\r\nHost: peer\r\n\r\n".encode())
        reply = s.recv(4096).decode()
    assert reply.startswith("HTTP/1.1 500 ")
    assert re.search(r"^Tailscale-Connect-Error: .+$", reply, re.MULTILINE)
