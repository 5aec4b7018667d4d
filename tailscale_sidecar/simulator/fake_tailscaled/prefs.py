"""ipn.Prefs as JSON: defaults, MaskedPrefs edits, and the API view."""

from __future__ import annotations

import copy
import ipaddress

from .keys import ZERO_NL_KEY, ZERO_PRIVATE

DEFAULT_CONTROL_URL = "https://controlplane.tailscale.com"
EXIT_ROUTES = {"0.0.0.0/0", "::/0"}

# v1.102 key order; `Config` is the Persist block (null before the first login).
DEFAULT_PREFS: dict = {
    "ControlURL": "",
    "RouteAll": False,
    "ExitNodeID": "",
    "ExitNodeIP": "",
    "InternalExitNodePrior": "",
    "ExitNodeAllowLANAccess": False,
    "CorpDNS": True,
    "RunSSH": False,
    "RunWebClient": False,
    "WantRunning": False,
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
    "Config": None,
}


class PrefsError(ValueError):
    """Prefs the daemon refuses."""


def default_prefs() -> dict:
    return copy.deepcopy(DEFAULT_PREFS)


def _zero(default: object) -> object:
    """Go's zero value for a field missing from the JSON."""
    if default is None or isinstance(default, bool):
        return None if default is None else False
    if isinstance(default, dict):
        return {key: _zero(value) for key, value in default.items()}
    return type(default)()


def _check_type(name: str, value: object) -> None:
    default = DEFAULT_PREFS[name]
    if value is None or default is None:
        return
    expected = bool if isinstance(default, bool) else type(default)
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise PrefsError(f"json: cannot unmarshal into Go struct field Prefs.{name}")


def _decode(name: str, value: object) -> object:
    """A field's JSON value as Go decodes it (ExitNodeIP is a netip.Addr)."""
    _check_type(name, value)
    if value is None:
        return _zero(DEFAULT_PREFS[name])  # null leaves Go's zero value
    if name == "ExitNodeIP" and value:
        try:
            return str(ipaddress.ip_address(str(value)))
        except ValueError:
            raise PrefsError(f'ParseAddr("{value}"): unable to parse IP') from None
    return value


def from_update(update: dict, persist: dict | None) -> dict:
    """`start`'s UpdatePrefs: replaces everything except the Persist block."""
    prefs = default_prefs()
    for name in prefs:
        if name == "Config":
            continue
        prefs[name] = _decode(name, update.get(name, _zero(DEFAULT_PREFS[name])))
    prefs["Config"] = persist
    return check(prefs)


def apply_masked(prefs: dict, masked: dict) -> dict:
    """A PATCH: only fields whose `<Field>Set` flag is true change."""
    if masked.get("InternalExitNodePriorSet"):
        raise PrefsError("can't set Internal fields")
    new = copy.deepcopy(prefs)
    for name in DEFAULT_PREFS:
        if name != "Config" and masked.get(f"{name}Set") is True:
            new[name] = _decode(name, masked.get(name))
    return check(new)


def check(prefs: dict) -> dict:
    """checkPrefsLocked: the hostname test value and checkExitNodePrefsLocked."""
    if prefs.get("Hostname") == "badhostname.tailscale.":
        raise PrefsError("bad hostname [test]")
    routes = prefs.get("AdvertiseRoutes")
    advertises_exit = isinstance(routes, list) and {str(r) for r in routes} >= EXIT_ROUTES
    if advertises_exit and (prefs.get("ExitNodeID") or prefs.get("ExitNodeIP")):
        raise PrefsError("Cannot advertise an exit node and use an exit node at the same time.")
    return prefs


def api_view(prefs: dict) -> dict:
    """Prefs as the LocalAPI shows them: private keys zeroed."""
    view = copy.deepcopy(prefs)
    if view.get("Config"):
        view["Config"]["PrivateNodeKey"] = ZERO_PRIVATE
        view["Config"]["OldPrivateNodeKey"] = ZERO_PRIVATE
        view["Config"]["NetworkLockKey"] = ZERO_NL_KEY
    return view
