"""Control's users, devices, connect and ca.pem: shapes, errors, and what nodes see."""

from pathlib import Path

import httpx
import pytest

from tailscale_sidecar.simulator import harness
from tests.fixtures.simulator import log_in, status, wait_for

CA = Path(harness.__file__).parent / "certs" / "ca.pem"


def admin(control, path: str, body: dict) -> httpx.Response:
    with httpx.Client(trust_env=False, timeout=10) as client:
        return client.post(control.url + path, json=body)


def test_a_device_is_every_nodes_online_peer_and_whois_names_its_user(
    fake_tailscaled_factory, fake_control
):
    node = fake_tailscaled_factory().start()
    log_in(node, fake_control, hostname="web")
    user = fake_control.add_user("alice@example.com", "Alice")
    assert user == {"id": 3, "login_name": "alice@example.com", "display_name": "Alice"}
    device = fake_control.add_device("Alice's Phone", user="alice@example.com")
    assert device["name"] == "alice-s-phone" and device["online"] is True
    assert device["user"] == {"ID": 3, "LoginName": "alice@example.com", "DisplayName": "Alice"}

    def peer() -> dict | None:
        peers = status(node)["Peer"] or {}
        return next((p for p in peers.values() if p["ID"] == device["id"]), None)

    assert wait_for(peer)["Online"] is True
    who = node.get(f"/localapi/v0/whois?addr={device['ips'][0]}").json()
    assert who["UserProfile"]["DisplayName"] == "Alice"
    tagged = fake_control.add_device("ci", tags=["tag:ci"])
    assert tagged["user"]["LoginName"] == "tagged-devices" and tagged["key_expiry"] is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"hostname": "x"}, 'give either "user"'),
        ({"hostname": "x", "user": "owner@example.com", "tags": ["tag:a"]}, 'give either "user"'),
        ({"hostname": "x", "user": "nobody@example.com"}, "unknown user"),
        ({"hostname": "x", "tags": ["server"]}, "tag:"),
        ({"user": "owner@example.com"}, '"hostname" is required'),
    ],
)
def test_bad_devices_are_refused(fake_control, body, message):
    answer = admin(fake_control, "/admin/api/devices", body)
    assert answer.status_code == 400
    assert message in answer.json()["error"]


def test_connect_refuses_what_it_cannot_do(fake_control):
    device = fake_control.add_device("phone", user="owner@example.com")
    other = fake_control.add_device("laptop", user="owner@example.com")
    path = f"/admin/api/nodes/{device['id']}/connect"
    assert admin(fake_control, path, {"to": other["id"], "port": 0}).status_code == 400
    assert admin(fake_control, path, {"to": "nNopeCNTRL", "port": 80}).status_code == 404
    # A device has no daemon to deliver to.
    refused = admin(fake_control, path, {"to": other["id"], "port": 80})
    assert refused.status_code == 409
    assert admin(fake_control, "/admin/api/users", {"login_name": "bob"}).status_code == 400


def test_ca_pem_is_the_committed_ca(fake_control):
    assert fake_control.ca_pem() == CA.read_text()
    assert fake_control.ca_pem().startswith("-----BEGIN CERTIFICATE-----")
