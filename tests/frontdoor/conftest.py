"""The whole front door through real processes: fake control, the supervisor with its
fake tailscaled, and gunicorn, with tailnet peers made through control's admin API.

`stack` joins a node named "web" with an auth key while the tailnet has HTTPS on,
and waits until the supervisor reports the front door. Peers reach it the way
a tailnet device would: `https_get` (TLS on the node's name, checked against the
simulated CA, through serve) and `plain_get` (the plain port, forwarded by the
daemon with its ProxyMapper entry, so whois names the peer).
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

import pytest

from tailscale_sidecar.models import DesiredConfig, ObservedStatus
from tailscale_sidecar.simulator.harness import (
    FakeControl,
    SupervisorProcess,
    fake_tailscaled_path,
    wait_for,
)
from tests.fixtures.simulator import http_get
from tests.fixtures.web import WebServer

TRUSTED = "alice@example.com"
UNTRUSTED = "bob@example.com"
TIMEOUT = 30.0


@dataclass
class Stack:
    control: FakeControl
    web: WebServer
    supervisor: SupervisorProcess
    node_id: str  # control's id of the app's node
    name: str  # its MagicDNS name
    alice: str  # device ids: a trusted user's, an untrusted user's, a tagged one
    bob: str
    tagged: str

    def logs(self) -> str:
        return (
            f"--- supervisor ---\n{self.supervisor.log_text()[-3000:]}\n"
            f"--- gunicorn ---\n{self.web.log_text()[-3000:]}"
        )


def observed() -> ObservedStatus:
    return ObservedStatus.load()


def wait_observed(predicate, stack: Stack | None = None, timeout: float = TIMEOUT):
    return wait_for(
        lambda: predicate(observed()),
        timeout=timeout,
        message=lambda: f"observed: {observed().__dict__}\n{stack.logs() if stack else ''}",
    )


@pytest.fixture
def stack(child_env, fake_control, web_server, supervisor_process) -> Stack:
    fake_control.set_https(True)
    fake_control.add_user(TRUSTED, "Alice Example")
    fake_control.add_user(UNTRUSTED, "Bob")
    alice = fake_control.add_device("alice-laptop", user=TRUSTED)["id"]
    bob = fake_control.add_device("bob-phone", user=UNTRUSTED)["id"]
    tagged = fake_control.add_device("ci-runner", tags=["tag:ci"])["id"]
    env = {
        **child_env,
        "TAILSCALED_BIN": str(fake_tailscaled_path()),
        "TAILSCALE_CONTROL_URL": fake_control.url,
        "TAILSCALE_TRUSTED_LOGINS": TRUSTED,
        "TAILSCALE_AUTHKEY": fake_control.create_auth_key(),
        # A serve config someone else edits is put right within a second or two.
        "TAILSCALE_HEALTHCHECK_INTERVAL": "1",
        # The access log must never show the front door's secret path.
        "WEB_ACCESS_LOG": "true",
        # Only adds the demo banner and its "Open as a tailnet peer".
        "TRACEARR_DEMO": "true",
    }
    web = web_server(env)
    supervisor = supervisor_process(env, PORT=str(web.port))
    DesiredConfig.update(enabled=True, hostname="web")
    stack = Stack(fake_control, web, supervisor, "", "", alice, bob, tagged)
    wait_observed(lambda o: o.phase == "running" and o.https_url, stack)
    stack.name = observed().dns_name
    stack.node_id = next(n["id"] for n in fake_control.nodes() if n.get("hostname") == "web")
    return stack


def https_get(stack: Stack, device: str, path: str, headers: dict | None = None) -> bytes:
    """`device` opening https://<name><path>, the certificate checked against the simulated CA."""
    context = ssl.create_default_context(cadata=stack.control.ca_pem())
    address = stack.control.connect(device, stack.node_id, 443)
    with (
        socket.create_connection(address, timeout=15) as raw,
        context.wrap_socket(raw, server_hostname=stack.name) as tls,
    ):
        return http_get(tls, stack.name, path, headers)


def plain_get(stack: Stack, device: str, path: str, headers: dict | None = None) -> bytes:
    """`device` opening http://<name>:<port><path>: forwarded to 127.0.0.1:<port>."""
    address = stack.control.connect(device, stack.node_id, stack.web.port)
    with socket.create_connection(address, timeout=15) as sock:
        return http_get(sock, f"{stack.name}:{stack.web.port}", path, headers)


def local_get(
    stack: Stack, path: str, headers: dict | None = None, source: str = "127.0.0.1"
) -> bytes:
    """A client on this host (or, from 127.0.0.2, one standing in for the LAN)."""
    with socket.create_connection(
        ("127.0.0.1", stack.web.port), timeout=15, source_address=(source, 0)
    ) as sock:
        return http_get(sock, f"127.0.0.1:{stack.web.port}", path, headers)


def status_line(answer: bytes) -> str:
    return answer.split(b"\r\n", 1)[0].decode()


def header(answer: bytes, name: str) -> str:
    head = answer.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return ""
