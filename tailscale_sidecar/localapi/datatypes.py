"""Typed views of tailscaled's JSON: BackendState, Status, PeerStatus, Notify.

Parsing is defensive because the daemon's JSON changes between releases:
unknown fields are ignored, nulls become empty values, and the full object
stays available as `raw` for anything not modelled here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

logger = logging.getLogger(__name__)

# The order is the integer encoding used by Notify.State on the IPN bus.
_STATE_ORDER = (
    "NoState",
    "InUseOtherUser",
    "NeedsLogin",
    "NeedsMachineAuth",
    "Stopped",
    "Starting",
    "Running",
)


class BackendState(StrEnum):
    """ipn.State: a string in status, an integer on the IPN bus."""

    NoState = "NoState"
    InUseOtherUser = "InUseOtherUser"
    NeedsLogin = "NeedsLogin"
    NeedsMachineAuth = "NeedsMachineAuth"
    Stopped = "Stopped"
    Starting = "Starting"
    Running = "Running"

    @classmethod
    def from_int(cls, n: int) -> BackendState:
        """The state for a bus `State` integer; ValueError when unknown."""
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n < len(_STATE_ORDER):
            raise ValueError(f"unknown backend state number {n!r}")
        return cls(_STATE_ORDER[n])

    @classmethod
    def from_str(cls, s: str) -> BackendState:
        """The state for a status `BackendState` string; ValueError when unknown."""
        try:
            return cls(s)
        except ValueError:
            raise ValueError(f"unknown backend state {s!r}") from None


@dataclass(frozen=True)
class PeerStatus:
    id: str
    public_key: str
    host_name: str
    dns_name: str
    tailscale_ips: list[str]
    online: bool
    key_expiry: datetime | None
    expired: bool
    tags: list[str]  # a tagged node's tags (it then has no user)
    exit_node_option: bool  # the peer offers itself as an exit node
    exit_node: bool  # this node's traffic exits through the peer now

    @classmethod
    def from_json(cls, data: Any) -> PeerStatus:
        data = _as_dict(data)
        return cls(
            id=_as_str(data.get("ID")),
            public_key=_as_str(data.get("PublicKey")),
            host_name=_as_str(data.get("HostName")),
            dns_name=_as_str(data.get("DNSName")),
            tailscale_ips=_as_str_list(data.get("TailscaleIPs")),
            online=data.get("Online") is True,
            key_expiry=parse_go_time(data.get("KeyExpiry")),
            expired=data.get("Expired") is True,
            tags=_as_str_list(data.get("Tags")),
            exit_node_option=data.get("ExitNodeOption") is True,
            exit_node=data.get("ExitNode") is True,
        )


@dataclass(frozen=True)
class Status:
    backend_state: BackendState
    auth_url: str
    tailscale_ips: list[str]
    health: list[str]
    version: str
    have_node_key: bool
    self_node: PeerStatus
    magic_dns_suffix: str
    tailnet_name: str
    # Names the node can get TLS certificates for; empty while the tailnet has HTTPS off.
    cert_domains: list[str]
    # Filled only when asked for with peers (`status(peers=True)`).
    peers: list[PeerStatus]
    # The exit node in use: {"ID", "Online", "TailscaleIPs"}; {} when none.
    exit_node_status: dict[str, Any]
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Status:
        data = _as_dict(data)
        tailnet = _as_dict(data.get("CurrentTailnet"))
        return cls(
            backend_state=_state_from_str(data.get("BackendState")),
            auth_url=_as_str(data.get("AuthURL")),
            tailscale_ips=_as_str_list(data.get("TailscaleIPs")),
            health=_as_str_list(data.get("Health")),
            version=_as_str(data.get("Version")),
            have_node_key=data.get("HaveNodeKey") is True,
            self_node=PeerStatus.from_json(data.get("Self")),
            magic_dns_suffix=_as_str(tailnet.get("MagicDNSSuffix") or data.get("MagicDNSSuffix")),
            tailnet_name=_as_str(tailnet.get("Name")),
            cert_domains=_as_str_list(data.get("CertDomains")),
            peers=[PeerStatus.from_json(peer) for peer in _as_dict(data.get("Peer")).values()],
            exit_node_status=_as_dict(data.get("ExitNodeStatus")),
            raw=data,
        )


@dataclass(frozen=True)
class Notify:
    """One ipn.Notify line from the IPN bus; absent fields are None/False."""

    version: str
    state: BackendState | None
    browse_to_url: str | None
    err_message: str | None
    login_finished: bool
    prefs: dict[str, Any] | None
    health: dict[str, Any] | None
    self_change: dict[str, Any] | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Notify:
        data = _as_dict(data)
        state = data.get("State")
        return cls(
            version=_as_str(data.get("Version")),
            state=None if state is None else _state_from_int(state),
            browse_to_url=data.get("BrowseToURL") or None,
            err_message=data.get("ErrMessage") or None,
            # LoginFinished is `{}` when a login completed, null otherwise.
            login_finished=data.get("LoginFinished") is not None,
            prefs=_as_dict_or_none(data.get("Prefs")),
            health=_as_dict_or_none(data.get("Health")),
            self_change=_as_dict_or_none(data.get("SelfChange")),
            raw=data,
        )


def parse_go_time(value: Any) -> datetime | None:
    """An aware datetime from Go's RFC 3339 text; None for Go's zero time or junk."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        logger.debug("ignoring unparseable time %r", value)
        return None
    # Go's zero time.Time is 0001-01-01T00:00:00Z: "never" rather than a date.
    if parsed.year == 1 or parsed.tzinfo is None:
        return None
    return parsed


def _state_from_str(value: Any) -> BackendState:
    # A state this client does not know yet is treated as "not known yet".
    try:
        return BackendState.from_str(value)
    except ValueError:
        logger.warning("unknown BackendState %r; treating it as NoState", value)
        return BackendState.NoState


def _state_from_int(value: Any) -> BackendState:
    try:
        return BackendState.from_int(value)
    except ValueError:
        logger.warning("unknown bus State %r; treating it as NoState", value)
        return BackendState.NoState


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_dict_or_none(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _as_str_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str)]
