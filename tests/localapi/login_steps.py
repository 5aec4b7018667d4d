"""Steps several LocalAPI tests share: logging a fresh node in."""

from __future__ import annotations

from tailscale_sidecar.localapi import BackendState, LocalAPIClient, Status, default_prefs
from tests.localapi.bus_recorder import BusRecorder


def node_prefs(control_url: str, hostname: str = "web-1") -> dict:
    return default_prefs(ControlURL=control_url, Hostname=hostname)


def log_in_with_key(client: LocalAPIClient, bus: BusRecorder, fake_control) -> Status:
    """start + login-interactive with a fresh pre-approved key; returns Running status."""
    since = bus.mark()
    client.start(node_prefs(fake_control.url), auth_key=fake_control.create_auth_key())
    client.login_interactive()
    bus.wait(lambda n: n.state is BackendState.Running, since=since, what="State Running")
    return client.status()
