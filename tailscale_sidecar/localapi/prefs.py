"""ipn.Prefs bodies: a complete default object, and PATCH's masked form.

`start` replaces prefs wholesale, so a partial object would silently zero the
missing fields (CorpDNS off, NetfilterMode off, …). `default_prefs` therefore
always returns every field with tailscaled's own defaults.
"""

from __future__ import annotations

import copy
from typing import Any

# tailscaled's defaults (ipn.NewPrefs on Linux, v1.102 field set).
_DEFAULT_PREFS: dict[str, Any] = {
    "ControlURL": "",
    "RouteAll": False,
    "ExitNodeID": "",
    "ExitNodeIP": "",
    "InternalExitNodePrior": "",
    "ExitNodeAllowLANAccess": False,
    "CorpDNS": True,
    "RunSSH": False,
    "RunWebClient": False,
    "WantRunning": True,
    "LoggedOut": False,
    "ShieldsUp": False,
    "AdvertiseTags": None,
    "Hostname": "",
    "NotepadURLs": False,
    "AdvertiseRoutes": None,
    "AdvertiseServices": None,
    "Sync": None,
    "NoSNAT": False,
    "NoStatefulFiltering": True,
    "NetfilterMode": 2,
    "AutoUpdate": {"Check": True, "Apply": None},
    "AppConnector": {"Advertise": False},
    "PostureChecking": False,
    "NetfilterKind": "",
    "DriveShares": None,
}

# Fields Go omits when empty; callers may still set them.
_OPTIONAL_PREFS = frozenset(
    {
        "AutoExitNode",
        "ForceDaemon",
        "Egg",
        "OperatorUser",
        "ProfileName",
        "RelayServerPort",
        "RelayServerStaticEndpoints",
    }
)


def default_prefs(**overrides: Any) -> dict[str, Any]:
    """A complete ipn.Prefs dict for `start`'s UpdatePrefs, with `overrides` applied.

    An unknown field name raises TypeError: tailscaled would ignore it silently.
    """
    unknown = sorted(set(overrides) - set(_DEFAULT_PREFS) - _OPTIONAL_PREFS)
    if unknown:
        raise TypeError(f"unknown ipn.Prefs field(s): {', '.join(unknown)}")
    prefs = copy.deepcopy(_DEFAULT_PREFS)
    prefs.update(overrides)
    return prefs


def masked_prefs(changes: dict[str, Any]) -> dict[str, Any]:
    """ipn.MaskedPrefs for PATCH: the changed fields plus `<Field>Set: true` each."""
    body = dict(changes)
    body.update({f"{name}Set": True for name in changes})
    return body
