"""Pure decisions: what tailscaled's prefs should be, and what to record as observed.

Kept free of processes and sockets so the supervisor loop stays readable and
these rules read like the table in docs/supervisor.md.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.conf import settings

from tailscale_sidecar.crypto import get_cipher
from tailscale_sidecar.localapi import BackendState, Status, default_prefs
from tailscale_sidecar.models import DesiredConfig, Phase

log = logging.getLogger(__name__)

# What a fresh node reports until it has talked to control ("" = the default).
DEFAULT_CONTROL_URL = "https://controlplane.tailscale.com"

PHASE_FOR_STATE = {
    BackendState.NeedsLogin: Phase.NEEDS_LOGIN,
    BackendState.NeedsMachineAuth: Phase.NEEDS_MACHINE_AUTH,
    BackendState.Running: Phase.RUNNING,
}

CONTROL_UNREACHABLE_MESSAGE = (
    "Can't reach the Tailscale coordination server ({control}); "
    "the node will connect when it is reachable."
)

# Cleared by a reset: they describe a node that no longer exists.
IDENTITY_FIELDS: dict[str, Any] = {
    "backend_state": "",
    "auth_url": "",
    "hostname": "",
    "node_id": "",
    "tailnet_ips": [],
    "dns_name": "",
    "tailnet_name": "",
    "key_expiry": None,
    "health": [],
}


def control_url(desired: DesiredConfig) -> str:
    return desired.control_url or settings.TAILSCALE_CONTROL_URL


def control_unreachable_message(desired: DesiredConfig) -> str:
    return CONTROL_UNREACHABLE_MESSAGE.format(control=control_url(desired) or "Tailscale")


def hostname(desired: DesiredConfig) -> str:
    return desired.hostname or settings.TAILSCALE_HOSTNAME


def tags(desired: DesiredConfig) -> list[str]:
    return sorted(set(desired.advertise_tags or []))


def outbound_proxy_addr(desired: DesiredConfig) -> str | None:
    on = desired.outbound_proxy or settings.TAILSCALE_OUTBOUND_PROXY
    return settings.TAILSCALE_OUTBOUND_PROXY_ADDR if on else None


def full_prefs(desired: DesiredConfig) -> dict[str, Any]:
    """The complete prefs for `start` (it replaces prefs wholesale)."""
    return default_prefs(
        ControlURL=control_url(desired),
        Hostname=hostname(desired),
        AdvertiseTags=tags(desired) or None,
        WantRunning=True,
    )


def auth_key(desired: DesiredConfig) -> str:
    """The key for a headless join: the page's (encrypted), else TAILSCALE_AUTHKEY."""
    if desired.auth_key_encrypted:
        return get_cipher().decrypt(desired.auth_key_encrypted).decode()
    key = settings.TAILSCALE_AUTHKEY
    if key.startswith("file:"):
        path = Path(key.removeprefix("file:"))
        try:
            return path.read_text().strip()
        except OSError as exc:
            # An unreadable key file must not stall the node: the owner can
            # still authorize it interactively from the page.
            log.warning(
                "TAILSCALE_AUTHKEY names %s, which can't be read (%s); "
                "falling back to interactive login",
                path,
                exc.strerror or exc,
            )
            return ""
    return key


def _same_url(a: str, b: str) -> bool:
    return (a or DEFAULT_CONTROL_URL).rstrip("/") == (b or DEFAULT_CONTROL_URL).rstrip("/")


def control_url_changed(current: dict[str, Any], desired: DesiredConfig) -> bool:
    return not _same_url(current.get("ControlURL") or "", control_url(desired))


def prefs_patch(current: dict[str, Any], desired: DesiredConfig) -> dict[str, Any]:
    """The fields to PATCH so a running node matches the desired hostname and tags."""
    changes: dict[str, Any] = {}
    if (current.get("Hostname") or "") != hostname(desired):
        changes["Hostname"] = hostname(desired)
    if sorted(current.get("AdvertiseTags") or []) != tags(desired):
        changes["AdvertiseTags"] = tags(desired) or None
    if current.get("WantRunning") is False:
        changes["WantRunning"] = True
    return changes


def observed_from_status(status: Status) -> dict[str, Any]:
    """ObservedStatus fields describing the node, from a LocalAPI status."""
    node = status.self_node
    fields: dict[str, Any] = {
        "backend_state": status.backend_state.value,
        "auth_url": status.auth_url,
        "health": status.health,
        "tailscaled_version": status.version,
    }
    # A node without a netmap reports the OS hostname and no identity: keep
    # what we knew (e.g. while control is unreachable).
    if node.id:
        fields.update(
            node_id=node.id,
            hostname=node.host_name,
            tailnet_ips=status.tailscale_ips or node.tailscale_ips,
            dns_name=node.dns_name.rstrip("."),
            tailnet_name=status.tailnet_name,
            key_expiry=node.key_expiry,
        )
    return fields
