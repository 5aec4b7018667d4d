"""The LocalAPI's CSRF guards, 404 shape, headers and write permission."""

import os
import shutil
import subprocess

import pytest

from tests.fixtures.simulator import status

TEXT = "text/plain; charset=utf-8"


@pytest.fixture
def daemon(fake_tailscaled_factory):
    return fake_tailscaled_factory().start()


def test_it_rejects_a_foreign_host_header(daemon):
    with daemon.client() as client:
        response = client.get("/localapi/v0/status", headers={"Host": "localhost"})
    assert response.status_code == 403
    assert response.text == "invalid localapi request\n"
    assert response.headers["content-type"] == TEXT


@pytest.mark.parametrize("header", ["Referer", "Origin"])
def test_it_rejects_browser_headers(daemon, header):
    with daemon.client() as client:
        response = client.get("/localapi/v0/status", headers={header: "http://evil.example"})
    assert response.status_code == 403
    assert response.text == "invalid localapi request\n"


def test_it_accepts_an_empty_host(daemon):
    with daemon.client() as client:
        response = client.get("/localapi/v0/status", headers={"Host": ""})
    assert response.status_code == 200


def test_unknown_paths_get_gos_404(daemon):
    for path in ("/localapi/v0/nope", "/elsewhere"):
        response = daemon.get(path)
        assert response.status_code == 404
        assert response.text == "404 page not found\n"
        assert response.headers["content-type"] == TEXT


def test_every_response_carries_tailscaled_headers(daemon):
    response = daemon.get("/localapi/v0/status")
    assert response.headers["tailscale-version"] == "1.102.3-tfake-gsim"
    assert response.headers["tailscale-cap"] == "142"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


def test_write_endpoints_want_post(daemon):
    with daemon.client() as client:
        assert client.get("/localapi/v0/start").text == "want POST\n"
        assert client.get("/localapi/v0/login-interactive").status_code == 400
        assert client.post("/localapi/v0/prefs").status_code == 405


def test_a_fresh_node_needs_login_and_is_stopped(daemon):
    fresh = status(daemon)
    assert fresh["BackendState"] == "NeedsLogin"
    assert fresh["Health"] == ["Tailscale is stopped."]
    assert fresh["TailscaleIPs"] is None
    assert fresh["CurrentTailnet"] is None
    assert fresh["TUN"] is False
    assert fresh["Self"]["PublicKey"] == "nodekey:" + "0" * 64
    assert "HaveNodeKey" not in fresh
    assert daemon.get("/localapi/v0/status").text.startswith('{\n\t"Version"')


# A client running as another uid only gets read access (SO_PEERCRED).
_OTHER_UID_CLIENT = """
import socket, sys
def call(method, path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(f"{method} {path} HTTP/1.1\\r\\nHost: local-tailscaled.sock\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n".encode())
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\\r\\n\\r\\n")
    print(head.split()[1].decode(), body.decode().strip().splitlines()[0])
call("GET", "/localapi/v0/status")
call("POST", "/localapi/v0/login-interactive")
"""


# The other uid needs an interpreter it may execute; the client is stdlib only.
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to run a client as another uid")
@pytest.mark.skipif(SYSTEM_PYTHON is None, reason="no system python3 for the other uid")
def test_another_uid_is_read_only(daemon):
    daemon.socket_dir.chmod(0o755)
    result = subprocess.run(
        [SYSTEM_PYTHON, "-c", _OTHER_UID_CLIENT, str(daemon.socket_path)],
        capture_output=True,
        text=True,
        timeout=20,
        user=65534,
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith("200 ")
    assert lines[1] == "403 login access denied"
