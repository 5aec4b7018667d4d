"""serve-config: Go's re-encoding, the SHA-256 ETag, If-Match/412, the store, permissions."""

import base64
import hashlib
import json
import os
import shutil
import subprocess

import pytest

from tests.fixtures.simulator import log_in, status, wait_for

PROXY_443 = {
    "TCP": {"443": {"HTTPS": True}},
    "Web": {"web.tail1234.ts.net:443": {"Handlers": {"/": {"Proxy": "http://127.0.0.1:3000"}}}},
}
# What tailscaled's json.Marshal makes of PROXY_443 (struct order, omitempty, compact).
PROXY_443_GO = (
    b'{"TCP":{"443":{"HTTPS":true}},'
    b'"Web":{"web.tail1234.ts.net:443":{"Handlers":{"/":{"Proxy":"http://127.0.0.1:3000"}}}}}'
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def get_config(daemon):
    response = daemon.get("/localapi/v0/serve-config")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return response


def post_config(daemon, body, if_match: str | None = None):
    headers = {"If-Match": if_match} if if_match is not None else {}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return daemon.request("POST", "/localapi/v0/serve-config", content=content, headers=headers)


@pytest.fixture
def node(fake_tailscaled_factory, fake_control):
    daemon = fake_tailscaled_factory().start()
    log_in(daemon, fake_control, hostname="web")
    return daemon


def test_a_fresh_node_has_no_config_and_cannot_take_one(fake_tailscaled_factory):
    daemon = fake_tailscaled_factory().start()
    response = get_config(daemon)
    assert response.content == b"null"
    assert response.headers["etag"] == sha256(b"null")
    refused = post_config(daemon, PROXY_443)
    assert refused.status_code == 500
    assert refused.json() == {"error": "updating config: netMap is nil"}


def test_a_config_is_stored_as_go_encodes_it(node):
    etag = get_config(node).headers["etag"]
    # Lower-case field names match, unknown keys vanish, key order is Go's.
    messy = {"web": PROXY_443["Web"], "Unknown": 1, "tcp": {"443": {"HTTPS": True, "HTTP": False}}}
    answer = post_config(node, messy, if_match=etag)
    assert (answer.status_code, answer.content) == (200, b"")
    now = get_config(node)
    assert now.content == PROXY_443_GO
    assert now.headers["etag"] == sha256(PROXY_443_GO)


def test_a_stale_if_match_gets_412_and_changes_nothing(node):
    first = get_config(node).headers["etag"]
    assert post_config(node, PROXY_443, if_match=first).status_code == 200
    stale = post_config(node, {}, if_match=first)
    assert stale.status_code == 412
    assert stale.text == "etag mismatch\n"
    assert stale.headers["content-type"] == "text/plain; charset=utf-8"
    assert get_config(node).content == PROXY_443_GO
    # Without If-Match the config is overwritten; `null` clears it to `{}`.
    assert post_config(node, b"null").status_code == 200
    assert get_config(node).content == b"{}"


def test_a_port_cannot_change_its_serve_type(node):
    assert post_config(node, PROXY_443).status_code == 200
    clash = post_config(node, {"TCP": {"443": {"TCPForward": "127.0.0.1:5432"}}})
    assert clash.status_code == 500
    assert clash.json() == {
        "error": 'updating config: want to serve "tcp", but port 443 is already serving "https"'
    }


def test_bad_bodies_get_json_errors(node):
    empty = post_config(node, b"")
    assert (empty.status_code, empty.json()) == (500, {"error": "decoding config: EOF"})
    wrong = post_config(node, {"TCP": {"443": {"HTTPS": "yes"}}})
    assert wrong.status_code == 500
    assert wrong.json()["error"].startswith("decoding config: json: cannot unmarshal string")
    assert get_config(node).content == b"null"


def test_the_config_lives_in_the_state_file_and_survives_a_restart(node, fake_tailscaled_factory):
    assert post_config(node, PROXY_443).status_code == 200
    state = json.loads(node.state_path.read_text())
    profile = base64.b64decode(state["_current-profile"]).decode().removeprefix("profile-")
    assert base64.b64decode(state[f"_serve/{profile}"]) == PROXY_443_GO
    assert node.stop() == 0

    again = fake_tailscaled_factory(state_dir=node.state_dir).start()
    wait_for(lambda: status(again)["BackendState"] == "Running", timeout=15)
    answer = get_config(again)
    assert answer.content == PROXY_443_GO
    assert answer.headers["etag"] == sha256(PROXY_443_GO)


def test_root_may_serve_a_path(node):
    # Non-root callers get 401 for Path handlers and unix sockets; tests run as root.
    config = {"Web": {"web:443": {"Handlers": {"/": {"Path": "/srv"}}}}}
    assert post_config(node, config).status_code == 200


_OTHER_UID_CLIENT = """
import socket, sys
def call(method):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(f"{method} /localapi/v0/serve-config HTTP/1.1\\r\\nHost: local-tailscaled.sock\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\n{{}}".encode())
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\\r\\n\\r\\n")
    print(head.split()[1].decode(), body.decode().strip())
call("GET")
call("POST")
"""
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to run a client as another uid")
@pytest.mark.skipif(SYSTEM_PYTHON is None, reason="no system python3 for the other uid")
def test_another_uid_may_read_but_not_write(node):
    node.socket_dir.chmod(0o755)
    result = subprocess.run(
        [SYSTEM_PYTHON, "-c", _OTHER_UID_CLIENT, str(node.socket_path)],
        capture_output=True,
        text=True,
        timeout=20,
        user=65534,
    )
    assert result.stdout.splitlines() == ["200 null", "403 serve config denied"]


def test_cert_domains_follow_the_tailnets_https_setting(node, fake_control):
    assert status(node)["CertDomains"] is None
    fake_control.set_https(True)
    wait_for(lambda: status(node)["CertDomains"] == ["web.tail1234.ts.net"], timeout=10)
    fake_control.set_https(False)
    wait_for(lambda: status(node)["CertDomains"] is None, timeout=10)
