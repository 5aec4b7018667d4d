"""Pure decisions: which LocalAPI calls to make, and what to record as observed.

`plan_node` is the table "Reconciling the node" in docs/supervisor.md: from
what tailscaled reports (status, prefs), the effective config and the login
calls already made for this run, it returns the calls to make and the
ObservedStatus fields to write. Kept free of processes, sockets and clocks so
the rules can be tested as a table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from django.conf import settings

from tailscale_sidecar.config import EffectiveConfig
from tailscale_sidecar.localapi import BackendState, Notify, Status, default_prefs
from tailscale_sidecar.models import Phase
from tailscale_sidecar.state.crypto import get_cipher
from tailscale_sidecar.supervisor.redact import redact

log = logging.getLogger(__name__)

# What a fresh node reports until it has talked to control ("" = the default).
DEFAULT_CONTROL_URL = "https://controlplane.tailscale.com"

# A node with its identity that sits in NoState this long cannot reach control.
CONTROL_UNREACHABLE_AFTER = 10.0

PHASE_FOR_STATE = {
    BackendState.NeedsLogin: Phase.NEEDS_LOGIN,
    BackendState.NeedsMachineAuth: Phase.NEEDS_MACHINE_AUTH,
    BackendState.Running: Phase.RUNNING,
}

CONTROL_UNREACHABLE_MESSAGE = (
    "Can't reach the Tailscale coordination server ({control}); "
    "the node will connect when it is reachable."
)

# Who the node is: gone once it is logged out or deleted at control.
NODE_IDENTITY_FIELDS: dict[str, Any] = {
    "hostname": "",
    "node_id": "",
    "tailnet_ips": [],
    "dns_name": "",
    "tailnet_name": "",
    "key_expiry": None,
    "cert_domains": [],
    "https_url": "",
    "https_error": "",
    "exit_nodes": [],
    "exit_node_status": {},
    "exit_node_error": "",
}

# Cleared by a reset: they describe a node that no longer exists.
IDENTITY_FIELDS: dict[str, Any] = {
    **NODE_IDENTITY_FIELDS,
    "backend_state": "",
    "auth_url": "",
    "health": [],
}

# States in which the node's prefs are compared with the desired config.
PREFS_STATES = (BackendState.Running, BackendState.Starting, BackendState.Stopped)


class Call(StrEnum):
    """A LocalAPI call the plan asks for."""

    START = "start"  # full prefs and the auth key: replaces prefs, restarts the backend
    LOGOUT = "logout"  # off the old login server, before a `start` that moves to a new one
    LOGIN_INTERACTIVE = "login-interactive"
    PATCH_PREFS = "patch-prefs"


@dataclass(frozen=True)
class NodePlan:
    calls: tuple[Call, ...]
    # The login calls to remember as made, recorded before any call is sent
    # (a slow `start` must not be sent twice).
    logins: frozenset[Call]
    observed: dict[str, Any]
    patch: dict[str, Any] = field(default_factory=dict)


def plan_node(
    status: Status,
    prefs: dict[str, Any] | None,
    config: EffectiveConfig,
    logins: frozenset[Call],
    nostate_for: float = 0.0,
) -> NodePlan:
    """What to do about the node, given what it reports.

    `prefs` is needed only in PREFS_STATES (None elsewhere); `nostate_for` is
    how long a node with its identity has been in NoState.
    """
    state = status.backend_state
    observed = observed_from_status(status)
    observed["phase"] = PHASE_FOR_STATE.get(state, Phase.STARTING)
    if state == BackendState.Running:
        observed["last_error"] = ""
    elif (
        state == BackendState.NoState
        and status.have_node_key
        and nostate_for >= CONTROL_UNREACHABLE_AFTER
    ):
        observed["last_error"] = control_unreachable_message(config)

    if state == BackendState.NeedsLogin:
        calls: list[Call] = []
        if not status.have_node_key or not status.self_node.id:
            # Logged out (no node key) or deleted at control (no netmap, so no
            # Self.ID): the old name and IPs are not ours any more.
            observed.update(NODE_IDENTITY_FIELDS)
        # The control client takes a key only from the `start` that creates it, so a
        # node that had one (expired, logged out at control) re-registers headless
        # as `tailscale up --force-reauth --auth-key` does: `start` with the full
        # prefs (the desired tags included) and a key, then login-interactive.
        reauth_with_key = status.have_node_key and config.headless
        if (not status.have_node_key or reauth_with_key) and Call.START not in logins:
            calls.append(Call.START)
        if Call.LOGIN_INTERACTIVE not in logins:
            calls.append(Call.LOGIN_INTERACTIVE)
        return NodePlan(tuple(calls), logins | frozenset(calls), observed)

    # A later NeedsLogin (key expired, logged out) is a new login.
    if state not in PREFS_STATES or prefs is None:
        return NodePlan((), frozenset(), observed)
    if control_url_changed(prefs, config):
        # A node key sent to the new server would leave the device behind in the
        # old one's admin console (the CLI refuses that without --force-reauth):
        # log out of the old server first.
        moving = (Call.LOGOUT, Call.START) if status.have_node_key else (Call.START,)
        return NodePlan(moving, frozenset({Call.START}), observed)
    patch = prefs_patch(prefs, config, status.self_node.tags)
    if "AdvertiseTags" in patch and config.headless and Call.START not in logins:
        # Control may expire the node key on a tag change (tailscale/tailscale#13572):
        # with a key at hand, re-authenticate with it at once, carrying the tags.
        return NodePlan(
            (Call.START, Call.LOGIN_INTERACTIVE),
            frozenset({Call.START, Call.LOGIN_INTERACTIVE}),
            observed,
        )
    return NodePlan((Call.PATCH_PREFS,) if patch else (), frozenset(), observed, patch)


def observed_from_notify(notify: Notify) -> dict[str, Any]:
    """What the page must see at once from an IPN bus message."""
    fields: dict[str, Any] = {}
    if notify.state is not None:
        fields["backend_state"] = notify.state.value
    if notify.browse_to_url:
        fields.update(auth_url=notify.browse_to_url, phase=Phase.NEEDS_LOGIN)
    if notify.login_finished:
        fields["auth_url"] = ""
    if notify.err_message:
        fields["last_error"] = redact(notify.err_message)
    return fields


def control_unreachable_message(config: EffectiveConfig) -> str:
    return CONTROL_UNREACHABLE_MESSAGE.format(control=config.control_url or "Tailscale")


def full_prefs(config: EffectiveConfig) -> dict[str, Any]:
    """The complete prefs for `start` (it replaces prefs wholesale)."""
    return default_prefs(
        ControlURL=config.control_url,
        Hostname=config.hostname,
        AdvertiseTags=list(config.tags) or None,
        ExitNodeID=config.exit_node,
        ExitNodeAllowLANAccess=config.exit_node_allow_lan,
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


def prefs_patch(
    current: dict[str, Any], config: EffectiveConfig, node_tags: list[str] | None = None
) -> dict[str, Any]:
    """The fields to PATCH so a running node matches the desired hostname and tags.

    No tags wanted for a node that is tagged (it joined with a tagged key) leaves
    its tags alone: sending none would make the next re-auth turn it into a
    user's node (tailscale/tailscale#6997, #10776).
    """
    changes: dict[str, Any] = {}
    if (current.get("Hostname") or "") != config.hostname:
        changes["Hostname"] = config.hostname
    wanted = list(config.tags)
    if sorted(current.get("AdvertiseTags") or []) != wanted and (wanted or not node_tags):
        changes["AdvertiseTags"] = wanted or None
    if (current.get("ExitNodeID") or "") != config.exit_node:
        changes["ExitNodeID"] = config.exit_node
    if bool(current.get("ExitNodeAllowLANAccess")) != config.exit_node_allow_lan:
        changes["ExitNodeAllowLANAccess"] = config.exit_node_allow_lan
    if current.get("WantRunning") is False:
        changes["WantRunning"] = True
    return changes


def exit_node_fields(status: Status) -> dict[str, Any]:
    """The peers that offer an exit node, and the one in use, from a status with peers."""
    options = [
        {
            "id": peer.id,
            "name": peer.host_name,
            "dns_name": peer.dns_name.rstrip("."),
            "ips": peer.tailscale_ips,
            "online": peer.online,
        }
        for peer in status.peers
        if peer.exit_node_option
    ]
    in_use = status.exit_node_status
    return {
        "exit_nodes": sorted(options, key=lambda option: option["name"]),
        "exit_node_status": (
            {"id": str(in_use.get("ID") or ""), "online": in_use.get("Online") is True}
            if in_use.get("ID")
            else {}
        ),
    }


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
            cert_domains=status.cert_domains,
        )
    return fields
