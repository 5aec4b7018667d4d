"""The rules of docs/supervisor.md ("Reconciling the node") as a table over plan_node."""

from __future__ import annotations

import dataclasses

import pytest

from tailscale_sidecar.config import EffectiveConfig
from tailscale_sidecar.localapi import Status
from tailscale_sidecar.models import Phase
from tailscale_sidecar.supervisor.reconcile import (
    CONTROL_UNREACHABLE_AFTER,
    NODE_IDENTITY_FIELDS,
    Call,
    plan_node,
)

START, LOGIN, PATCH, LOGOUT = Call.START, Call.LOGIN_INTERACTIVE, Call.PATCH_PREFS, Call.LOGOUT
CONTROL = "https://control.example"
CONFIG = EffectiveConfig(
    enabled=True,
    hostname="web-1",
    hostname_template="web-1",
    control_url=CONTROL,
    tags=("tag:web",),
    outbound_proxy=False,
    exit_node="",
    exit_node_allow_lan=False,
    https=True,
    trusted_logins=frozenset(),
    auth_key_encrypted="",
    generation=3,
)
MATCHING_PREFS = {
    "ExitNodeID": "",
    "ExitNodeAllowLANAccess": False,
    "ControlURL": CONTROL,
    "Hostname": "web-1",
    "AdvertiseTags": ["tag:web"],
    "WantRunning": True,
}
SELF = {
    "ID": "nAbC1CNTRL",
    "HostName": "web-1",
    "DNSName": "web-1.tail1234.ts.net.",
    "TailscaleIPs": ["100.64.0.7"],
}


def status(state: str, node_key: bool = True, self_node: dict | None = None) -> Status:
    return Status.from_json(
        {
            "BackendState": state,
            "HaveNodeKey": node_key,
            "AuthURL": "",
            "TailscaleIPs": ["100.64.0.7"] if self_node else None,
            "Self": self_node or {"ID": "", "HostName": "os-host"},
            "CurrentTailnet": {"Name": "example.com"} if self_node else None,
            "Version": "1.102.3",
        }
    )


def prefs(**changes: object) -> dict:
    return MATCHING_PREFS | changes


FRESH = status("NeedsLogin", node_key=False)
EXPIRED = status("NeedsLogin", self_node=SELF)
DELETED = status("NeedsLogin")  # a node key, but control forgot the node: no netmap
RUNNING = status("Running", self_node=SELF)

# Mirrors the table in docs/supervisor.md.
# fmt: off
ROWS = [
    # tailscaled reports,  its prefs,  login calls made,  -> calls,  phase,  id
    (FRESH, None, set(), [START, LOGIN], Phase.NEEDS_LOGIN, "fresh: start with prefs+key, login"),
    (FRESH, None, {START}, [LOGIN], Phase.NEEDS_LOGIN, "fresh, slow start sent: no second start"),
    (FRESH, None, {START, LOGIN}, [], Phase.NEEDS_LOGIN, "fresh: once per run and generation"),
    (EXPIRED, None, set(), [LOGIN], Phase.NEEDS_LOGIN, "key expired: login-interactive only"),
    (DELETED, None, set(), [LOGIN], Phase.NEEDS_LOGIN, "deleted at control: login-interactive"),
    (status("NeedsMachineAuth", self_node=SELF), None, {START, LOGIN}, [],
     Phase.NEEDS_MACHINE_AUTH, "machine auth: nothing, an admin approves"),
    (status("NoState", self_node=SELF), None, set(), [], Phase.STARTING, "NoState: waits"),
    (status("Starting", self_node=SELF), prefs(), set(), [], Phase.STARTING, "Starting: waits"),
    (RUNNING, prefs(Hostname="old"), set(), [PATCH], Phase.RUNNING, "other hostname: PATCH"),
    (RUNNING, prefs(AdvertiseTags=None), set(), [PATCH], Phase.RUNNING, "other tags: PATCH"),
    (status("Stopped", self_node=SELF), prefs(WantRunning=False), set(), [PATCH],
     Phase.STARTING, "stopped: PATCH WantRunning"),
    (RUNNING, prefs(ControlURL="https://other"), set(), [LOGOUT, START], Phase.RUNNING,
     "other control URL: log out of the old one, then start with full prefs"),
    (status("Stopped", node_key=False, self_node=SELF), prefs(ControlURL="https://other"), set(),
     [START], Phase.STARTING, "other control URL, no node key: nothing to log out of"),
    (RUNNING, prefs(), set(), [], Phase.RUNNING, "running as desired: nothing"),
]
# fmt: on


@pytest.mark.parametrize(
    ("reported", "current", "made", "calls", "phase"),
    [pytest.param(*row[:-1], id=row[-1]) for row in ROWS],
)
def test_plan_node(reported, current, made, calls, phase):
    plan = plan_node(reported, current, CONFIG, frozenset(made))

    assert list(plan.calls) == calls
    assert plan.observed["phase"] == phase
    assert plan.observed["backend_state"] == reported.backend_state.value


def test_login_calls_are_remembered_with_the_calls_that_send_them():
    assert plan_node(FRESH, None, CONFIG, frozenset()).logins == {START, LOGIN}
    # Any other state ends the login: a later NeedsLogin is a new one.
    assert (
        plan_node(status("NoState", self_node=SELF), None, CONFIG, frozenset({LOGIN})).logins
        == set()
    )
    # A new control URL sends `start`: what follows is the login only.
    moved = plan_node(RUNNING, prefs(ControlURL="x"), CONFIG, frozenset())
    assert moved.logins == {START}


def test_a_patch_carries_only_the_fields_that_differ():
    plan = plan_node(RUNNING, prefs(Hostname="old"), CONFIG, frozenset())
    assert plan.patch == {"Hostname": "web-1"}


def test_running_records_the_identity_and_clears_the_error():
    plan = plan_node(RUNNING, prefs(), CONFIG, frozenset())
    assert plan.observed["last_error"] == ""
    assert plan.observed["node_id"] == "nAbC1CNTRL"
    assert plan.observed["dns_name"] == "web-1.tail1234.ts.net"
    assert plan.observed["tailnet_ips"] == ["100.64.0.7"]
    assert plan.observed["tailnet_name"] == "example.com"


@pytest.mark.parametrize("reported", [FRESH, DELETED], ids=["logged out", "deleted"])
def test_a_node_logged_out_or_deleted_loses_its_old_identity(reported):
    plan = plan_node(reported, None, CONFIG, frozenset())
    assert {k: plan.observed[k] for k in NODE_IDENTITY_FIELDS} == NODE_IDENTITY_FIELDS


def test_an_expired_key_with_a_key_configured_reauths_headless():
    headless = dataclasses.replace(CONFIG, auth_key_encrypted="gAAAA-encrypted")
    plan = plan_node(EXPIRED, None, headless, frozenset())
    assert list(plan.calls) == [START, LOGIN]
    # Once per run and generation, like any login.
    assert list(plan_node(EXPIRED, None, headless, plan.logins).calls) == []


def test_an_expired_key_keeps_the_identity():
    plan = plan_node(EXPIRED, None, CONFIG, frozenset())
    assert plan.observed["node_id"] == "nAbC1CNTRL"


def test_a_node_without_netmap_keeps_what_we_knew():
    plan = plan_node(status("NoState"), None, CONFIG, frozenset())
    assert not set(NODE_IDENTITY_FIELDS) & set(plan.observed)


@pytest.mark.parametrize(
    ("nostate_for", "unreachable"),
    [(0.0, False), (CONTROL_UNREACHABLE_AFTER - 0.1, False), (CONTROL_UNREACHABLE_AFTER, True)],
)
def test_control_is_called_unreachable_after_a_while_in_nostate(nostate_for, unreachable):
    plan = plan_node(status("NoState", self_node=SELF), None, CONFIG, frozenset(), nostate_for)
    assert plan.calls == ()
    if unreachable:
        assert plan.observed["last_error"] == (
            f"Can't reach the Tailscale coordination server ({CONTROL}); "
            "the node will connect when it is reachable."
        )
    else:
        assert "last_error" not in plan.observed


def test_a_tag_change_with_a_key_configured_is_a_reauth_with_that_key():
    headless = dataclasses.replace(CONFIG, auth_key_encrypted="gAAAA-encrypted")
    plan = plan_node(RUNNING, prefs(AdvertiseTags=["tag:old"]), headless, frozenset())
    assert list(plan.calls) == [START, LOGIN]
    # Without a key: a PATCH, and control may ask for a new login.
    plan = plan_node(RUNNING, prefs(AdvertiseTags=["tag:old"]), CONFIG, frozenset())
    assert (list(plan.calls), plan.patch) == ([PATCH], {"AdvertiseTags": ["tag:web"]})


def test_no_tags_wanted_never_untags_a_node_that_joined_with_a_tagged_key():
    untagged_config = dataclasses.replace(CONFIG, tags=())
    tagged = status("Running", self_node={**SELF, "Tags": ["tag:ci"]})
    plan = plan_node(tagged, prefs(AdvertiseTags=["tag:ci"]), untagged_config, frozenset())
    assert "AdvertiseTags" not in plan.patch
    # A user's node may drop its advertised tags.
    plan = plan_node(RUNNING, prefs(AdvertiseTags=["tag:x"]), untagged_config, frozenset())
    assert plan.patch == {"AdvertiseTags": None}


def test_an_exit_node_is_patched_and_cleared():
    chosen = dataclasses.replace(CONFIG, exit_node="nExit1CNTRL", exit_node_allow_lan=True)
    plan = plan_node(RUNNING, prefs(), chosen, frozenset())
    assert plan.patch == {"ExitNodeID": "nExit1CNTRL", "ExitNodeAllowLANAccess": True}
    plan = plan_node(RUNNING, prefs(ExitNodeID="nExit1CNTRL"), CONFIG, frozenset())
    assert plan.patch == {"ExitNodeID": ""}
