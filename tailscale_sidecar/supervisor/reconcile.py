"""Pure decisions: what tailscaled's prefs should be, and what to record as observed.

Kept free of processes and sockets so the supervisor loop stays readable and
these rules read like the table in docs/supervisor.md.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.conf import settings

from tailscale_sidecar.config import EffectiveConfig
from tailscale_sidecar.localapi import BackendState, Status, default_prefs
from tailscale_sidecar.models import Phase
from tailscale_sidecar.state.crypto import get_cipher

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


def control_unreachable_message(config: EffectiveConfig) -> str:
    return CONTROL_UNREACHABLE_MESSAGE.format(control=config.control_url or "Tailscale")


def full_prefs(config: EffectiveConfig) -> dict[str, Any]:
    """The complete prefs for `start` (it replaces prefs wholesale)."""
    return default_prefs(
        ControlURL=config.control_url,
        Hostname=config.hostname,
        AdvertiseTags=list(config.tags) or None,
        WantRunning=True,
    )


def auth_key(config: EffectiveConfig) -> str:
    """The key for a headless join: the page's (encrypted), else TAILSCALE_AUTHKEY."""
    if config.auth_key_encrypted:
        return get_cipher().decrypt(config.auth_key_encrypted).decode()
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


def control_url_changed(current: dict[str, Any], config: EffectiveConfig) -> bool:
    return not _same_url(current.get("ControlURL") or "", config.control_url)


def prefs_patch(current: dict[str, Any], config: EffectiveConfig) -> dict[str, Any]:
    """The fields to PATCH so a running node matches the desired hostname and tags."""
    changes: dict[str, Any] = {}
    if (current.get("Hostname") or "") != config.hostname:
        changes["Hostname"] = config.hostname
    if sorted(current.get("AdvertiseTags") or []) != list(config.tags):
        changes["AdvertiseTags"] = list(config.tags) or None
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
