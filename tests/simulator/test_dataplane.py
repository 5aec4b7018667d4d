"""The data plane: peers reach a node through control's connect API, over real sockets.

HTTPS on the node's name (verified against the simulated CA), the serve
reverse proxy's headers, and plain forwarding with whois on the local leg.
"""

from __future__ import annotations

import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.fixtures.simulator import http_get, log_in, status, wait_for

NAME = "web.tail1234.ts.net"
FORGED = {
    "Tailscale-User-Login": "mallory@evil.example",
    "Tailscale-User-Name": "Mallory",
    "Tailscale-User-Profile-Pic": "https://evil.example/p.png",
    "Tailscale-Headers-Info": "forged",
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "http",
    "X-Forwarded-Host": "evil.example",
    "Forwarded": "for=203.0.113.9",
}


class App:
    """A loopback HTTP app that records what reaches it (headers, path, peer address)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        app = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                app.requests.append(
                    {"path": self.path, "headers": self.headers, "client": self.client_address}
                )
                body = b"hello from the app"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def app():
    running = App()
    yield running
    running.close()


@pytest.fixture
def node(fake_tailscaled_factory, fake_control):
    fake_control.set_https(True)
    daemon = fake_tailscaled_factory().start()
    daemon.node_id = log_in(daemon, fake_control, hostname="web")["Self"]["ID"]
    wait_for(lambda: status(daemon)["CertDomains"] == [NAME])
    return daemon


def serve_https(daemon, app_port: int, mount: str = "/") -> None:
    config = {
        "TCP": {"443": {"HTTPS": True}},
        "Web": {f"{NAME}:443": {"Handlers": {mount: {"Proxy": f"http://127.0.0.1:{app_port}"}}}},
    }
    assert daemon.request("POST", "/localapi/v0/serve-config", json=config).status_code == 200


def https_get(control, from_id, daemon, path="/", headers=None, server_hostname=NAME) -> bytes:
    context = ssl.create_default_context(cadata=control.ca_pem())
    address = control.connect(from_id, daemon.node_id, 443)
    with (
        socket.create_connection(address, timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=server_hostname) as tls,
    ):
        return http_get(tls, NAME, path, headers)


@pytest.fixture
def alice(fake_control):
    fake_control.add_user("alice@example.com", "Alice")
    return fake_control.add_device("alice-phone", user="alice@example.com")


def test_https_on_the_nodes_name_verifies_against_the_simulated_ca(node, fake_control, app, alice):
    serve_https(node, app.port)
    answer = https_get(fake_control, alice["id"], node)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.endswith(b"hello from the app")
    # A name the serve config does not name gets no certificate.
    with pytest.raises(ssl.SSLError):
        https_get(fake_control, alice["id"], node, server_hostname="other.tail1234.ts.net")


def test_no_https_when_the_tailnet_has_it_off(node, fake_control, app, alice):
    serve_https(node, app.port)
    fake_control.set_https(False)
    wait_for(lambda: status(node)["CertDomains"] is None)
    with pytest.raises(ssl.SSLError):
        https_get(fake_control, alice["id"], node)
    assert app.requests == []


def test_the_proxy_names_the_user_and_drops_forged_headers(node, fake_control, app, alice):
    serve_https(node, app.port)
    https_get(fake_control, alice["id"], node, "/page?x=1", FORGED)
    (seen,) = app.requests
    headers = seen["headers"]
    assert seen["path"] == "/page?x=1"
    assert headers.get_all("Tailscale-User-Login") == ["alice@example.com"]
    assert headers.get_all("Tailscale-User-Name") == ["Alice"]
    assert headers.get_all("Tailscale-User-Profile-Pic") == [""]
    assert headers.get_all("Tailscale-Headers-Info") == ["https://tailscale.com/s/serve-headers"]
    assert headers.get_all("X-Forwarded-For") == [alice["ips"][0]]
    assert headers.get_all("X-Forwarded-Proto") == ["https"]
    assert headers.get_all("X-Forwarded-Host") == [NAME]
    assert headers["Host"] == NAME
    assert "Forwarded" not in headers
    # The proxy's own connection to the app names nobody.
    leg = f"127.0.0.1:{seen['client'][1]}"
    assert node.get(f"/localapi/v0/whois?addr={leg}").status_code == 404


def test_a_tagged_device_gets_no_identity_headers(node, fake_control, app):
    server = fake_control.add_device("ci-runner", tags=["tag:ci"])
    serve_https(node, app.port)
    https_get(fake_control, server["id"], node, "/", FORGED)
    (seen,) = app.requests
    names = {name.lower() for name in seen["headers"]}
    assert not {n for n in names if n.startswith("tailscale-")}
    assert seen["headers"].get_all("X-Forwarded-For") == [server["ips"][0]]


def test_names_that_are_not_ascii_are_q_encoded(node, fake_control, app):
    fake_control.add_user("jorg@example.com", "Jörg Müller")
    device = fake_control.add_device("laptop", user="jorg@example.com")
    serve_https(node, app.port)
    https_get(fake_control, device["id"], node)
    assert app.requests[0]["headers"]["Tailscale-User-Name"] == "=?utf-8?q?J=C3=B6rg_M=C3=BCller?="


def test_a_mount_point_is_stripped_before_proxying(node, fake_control, app, alice):
    serve_https(node, app.port, mount="/app/")
    https_get(fake_control, alice["id"], node, "/app/settings")
    assert app.requests[0]["path"] == "/settings"
    assert b" 404 " in https_get(fake_control, alice["id"], node, "/elsewhere")


def test_a_plain_port_is_forwarded_and_whois_names_the_peer_while_it_lives(
    node, fake_control, app, alice
):
    address = fake_control.connect(alice["id"], node.node_id, app.port)
    with socket.create_connection(address, timeout=10) as peer:
        peer.sendall(f"GET /plain HTTP/1.1\r\nHost: web:{app.port}\r\n\r\n".encode())
        assert peer.recv(65536).startswith(b"HTTP/1.1 200 ")
        seen = app.requests[0]
        assert "Tailscale-User-Login" not in seen["headers"]  # plain forwarding adds nothing
        leg = f"127.0.0.1:{seen['client'][1]}"
        who = node.get(f"/localapi/v0/whois?addr={leg}")
        assert who.status_code == 200
        assert who.json()["Node"]["StableID"] == alice["id"]
        assert who.json()["UserProfile"]["LoginName"] == "alice@example.com"
    wait_for(lambda: node.get(f"/localapi/v0/whois?addr={leg}").status_code == 404, timeout=10)
    assert node.get("/localapi/v0/whois?addr=127.0.0.1").status_code == 404


def test_a_port_nothing_listens_on_closes_the_peers_connection(node, fake_control, alice):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    address = fake_control.connect(alice["id"], node.node_id, free_port)
    with socket.create_connection(address, timeout=10) as peer:
        try:
            closed = peer.recv(1) == b""
        except ConnectionResetError:
            closed = True
    assert closed
    wait_for(lambda: "could not connect to local backend server" in node.stderr_text())


def test_serving_resumes_after_a_tailscaled_restart(
    node, fake_control, fake_tailscaled_factory, app, alice
):
    serve_https(node, app.port)
    assert node.stop() == 0
    again = fake_tailscaled_factory(state_dir=node.state_dir).start()
    again.node_id = node.node_id
    wait_for(lambda: status(again)["BackendState"] == "Running", timeout=15)
    assert https_get(fake_control, alice["id"], again).endswith(b"hello from the app")
