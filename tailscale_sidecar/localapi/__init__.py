"""Typed client for tailscaled's LocalAPI (httpx over the unix socket)."""

from .bus import IpnBusStream
from .client import LocalAPIClient
from .datatypes import BackendState, Notify, PeerStatus, Status, parse_go_time
from .errors import (
    AccessDenied,
    DaemonUnreachable,
    LocalAPIError,
    LocalAPITimeout,
    NotFound,
    PreconditionFailed,
)
from .prefs import default_prefs, masked_prefs

__all__ = [
    "AccessDenied",
    "BackendState",
    "DaemonUnreachable",
    "IpnBusStream",
    "LocalAPIClient",
    "LocalAPIError",
    "LocalAPITimeout",
    "NotFound",
    "Notify",
    "PeerStatus",
    "PreconditionFailed",
    "Status",
    "default_prefs",
    "masked_prefs",
    "parse_go_time",
]
