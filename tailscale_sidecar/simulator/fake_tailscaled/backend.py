"""LocalBackend: prefs, profiles, BackendState and the control session.

The state is always recomputed from facts with tailscaled's precedence
(ipn/ipnlocal nextStateLocked), never set ad hoc, so every path agrees.
Each change that needs control (start, login, prefs, logout) starts a new
session thread; older sessions notice their generation is stale and exit,
which is the simulator's version of "start rebuilds the control client".
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from datetime import UTC, datetime

from . import bus, control_client, keys, prefs, serve
from .control_client import ControlRejected, ControlUnreachable
from .logs import logf
from .store import MemStore

NO_STATE, IN_USE_OTHER_USER, NEEDS_LOGIN, NEEDS_MACHINE_AUTH, STOPPED, STARTING, RUNNING = range(7)
STATE_NAMES = [
    "NoState",
    "InUseOtherUser",
    "NeedsLogin",
    "NeedsMachineAuth",
    "Stopped",
    "Starting",
    "Running",
]
MAP_POLL_SECONDS = 25.0
LOGOUT_TIMEOUT = 10.0
# How long the simulated DERP handshake takes between Starting and Running.
DERP_DELAY = 0.05

_WARNABLES = {
    "wantrunning-false": ("low", "Tailscale off"),
    "login-state": ("medium", "Logged out"),
    "not-in-map-poll": ("medium", "Coordination server unreachable"),
    "state-store-health": ("high", "State store failed to initialize"),
}
COORDINATION_TEXT = (
    "Unable to connect to the Tailscale coordination server to synchronize the state "
    "of your tailnet. Peer reachability might degrade over time."
)
STORE_TEXT = (
    "State store failed to initialize, Tailscale will not work until this is resolved. "
    "See https://tailscale.com/s/state-store-init-error. Error: {}"
)


class BackendError(Exception):
    """An error a LocalAPI handler turns into an HTTP status and text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ETagMismatch(Exception):
    """serve-config If-Match named a config that is no longer current."""


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Backend:
    def __init__(
        self, store: MemStore, *, version: str, ephemeral: bool, store_error: str = ""
    ) -> None:
        self.lock = threading.RLock()
        self.bus = bus.Bus()
        self.store = store
        self.version = version
        self.ephemeral = ephemeral
        self.store_error = store_error
        self.state = NO_STATE
        self.prefs = prefs.default_prefs()
        self.profile_id = ""
        self.netmap: dict | None = None
        self.map_up = False
        self.derp_ok = False
        self.auth_url = ""
        self.auth_key = ""
        self.login_wanted = False
        self.login_error = ""
        self.pending_node_key = ""
        self.new_login = False
        self.key_rejected = False
        self.control_down = False
        self.session_gen = 0
        self.health: dict[str, dict] = {}
        self.shutting_down = False
        # The data plane (ingress.py): the simulated wire's loopback port, reported to
        # control, and the ProxyMapper: 127.0.0.1 ip:port of a forwarded connection's
        # local leg -> the peer's tailnet IP, while that connection lives.
        self.ingress_port = 0
        self.proxy_map: dict[tuple[str, int], str] = {}
        self.netmap_changed = threading.Condition(self.lock)
        self._load_profile()

    # --- profile and store -------------------------------------------------
    def _load_profile(self) -> None:
        current = (self.store.read("_current-profile") or b"").decode()
        raw = self.store.read(current) if current else None
        if raw is None:
            return
        self.prefs = {**prefs.default_prefs(), **json.loads(raw)}
        self.profile_id = current.removeprefix("profile-")

    def machine_key(self) -> str:
        value = self.store.read("_machinekey")
        if value is None:
            value = keys.new_private().encode()
            self.store.write("_machinekey", value)
        return value.decode()

    def _save_profile(self) -> None:
        """Write the logged-in profile; the store skips unchanged values."""
        if not self.profile_id:
            return
        persist = self.prefs["Config"]
        key = f"profile-{self.profile_id}"
        old = json.loads(self.store.read("_profiles") or b"{}").get(self.profile_id, {})
        login_profile = {
            "ID": self.profile_id,
            "Name": persist["UserProfile"]["LoginName"],
            "NetworkProfile": self._network_profile(),
            "Key": key,
            "UserProfile": persist["UserProfile"],
            "NodeID": persist["NodeID"],
            "LocalUserID": "",
            "ControlURL": self.prefs["ControlURL"],
            "Created": old.get("Created") or _now_text(),
        }
        self.store.write(key, json.dumps(self.prefs, indent="\t").encode())
        profiles = json.dumps({self.profile_id: login_profile}, separators=(",", ":"))
        self.store.write("_profiles", profiles.encode())
        self.store.write("_current-profile", key.encode())

    def _network_profile(self) -> dict:
        nm = self.netmap or {}
        domain = nm.get("domain", "")
        return {
            "MagicDNSName": nm.get("magic_dns_suffix", ""),
            "DomainName": domain,
            "DisplayName": domain,
        }

    def _drop_profiles(self, *, keep_control_url: bool) -> None:
        for key in self.store.key_names():
            if key.startswith("profile-"):
                self.store.delete(key)
        if self.store.read("_profiles") is not None:
            self.store.write("_profiles", b"{}")
        control_url = self.prefs["ControlURL"]
        self.prefs = prefs.default_prefs()
        if keep_control_url:
            self.prefs["ControlURL"] = control_url
        self.profile_id = ""
        self.netmap = None
        self.map_up = self.derp_ok = False
        self.auth_url = self.auth_key = self.login_error = ""
        self.login_wanted = self.key_rejected = False

    # --- facts -------------------------------------------------------------
    def has_node_key(self) -> bool:
        config = self.prefs["Config"]
        return bool(config) and config["PrivateNodeKey"] != keys.ZERO_PRIVATE

    def node_public_key(self) -> str:
        if not self.has_node_key():
            return keys.ZERO_NODE_KEY
        return keys.public(self.prefs["Config"]["PrivateNodeKey"], "nodekey")

    def hostname(self) -> str:
        return self.prefs["Hostname"] or socket.gethostname()

    def _compute_state(self) -> int:
        p = self.prefs
        if self.store_error:
            return NO_STATE
        if not p["WantRunning"] and not p["LoggedOut"] and self.has_node_key():
            return STOPPED
        if self.netmap is None:
            needs_human = not self.has_node_key() or p["LoggedOut"] or self.key_rejected
            if needs_human or self.auth_url or self.login_error:
                return NEEDS_LOGIN
            return STARTING if self.state == STOPPED else self.state
        if not p["WantRunning"]:
            return STOPPED
        if self.netmap["node"]["Expired"]:
            return NEEDS_LOGIN
        if not self.netmap["node"]["MachineAuthorized"]:
            return NEEDS_MACHINE_AUTH
        return RUNNING if self.derp_ok else STARTING

    def _compute_health(self) -> dict[str, dict]:
        texts: dict[str, str] = {}
        if self.store_error:
            texts["state-store-health"] = STORE_TEXT.format(self.store_error)
        if not self.prefs["WantRunning"]:
            texts["wantrunning-false"] = "Tailscale is stopped."
        if self.state == NEEDS_LOGIN and (self.prefs["WantRunning"] or self.login_error):
            text = "You are logged out."
            if self.login_error:
                text += f" The last login error was: {self.login_error}"
            texts["login-state"] = text
        if self.control_down and self.has_node_key():
            texts["not-in-map-poll"] = COORDINATION_TEXT
        warnings = {}
        for code, text in texts.items():
            severity, title = _WARNABLES[code]
            since = self.health.get(code, {}).get("BrokenSince") or _now_text()
            warnings[code] = {
                "WarnableCode": code,
                "Severity": severity,
                "Title": title,
                "Text": text,
                "BrokenSince": since,
                "ImpactsConnectivity": code != "wantrunning-false",
            }
        return warnings

    def health_texts(self) -> list[str]:
        return [w["Text"] for w in self.health.values()]

    def health_state(self) -> dict:
        return {"Warnings": dict(self.health)}

    def _recompute(self) -> None:
        """Settle state and health after any change; notify the bus of differences."""
        new_state = self._compute_state()
        if new_state != self.state:
            logf(f"Switching ipn state {STATE_NAMES[self.state]} -> {STATE_NAMES[new_state]}")
            self.state = new_state
            if new_state in (STOPPED, NEEDS_LOGIN, NO_STATE):
                self.derp_ok = False
            self._send(State=new_state)
        health = self._compute_health()
        if {k: v["Text"] for k, v in health.items()} != {
            k: v["Text"] for k, v in self.health.items()
        }:
            self.health = health
            self._send(Health=self.health_state())

    def _derp_connected(self, gen: int) -> None:
        with self.lock:
            if gen == self.session_gen and self.netmap is not None:
                self.derp_ok = True
                self._recompute()

    def _send(self, **fields: object) -> None:
        self.bus.send(bus.notify(self.version, **fields))

    def prefs_view(self) -> dict:
        return prefs.api_view(self.prefs)

    def _resolve_exit_node_ip(self) -> bool:
        """resolveExitNodeIPLocked: ExitNodeIP becomes the ExitNodeID of the node with that IP.

        The IP wins over an ID set with it; until a netmap has the IP, no exit node is in use.
        Returns whether prefs changed.
        """
        p = self.prefs
        if not p["ExitNodeIP"]:
            return False
        changed = bool(p["ExitNodeID"])
        p["ExitNodeID"] = ""
        nodes = [self.netmap["node"], *self.netmap["peers"]] if self.netmap else []
        for node in nodes:
            if any(addr.split("/")[0] == p["ExitNodeIP"] for addr in node["Addresses"]):
                p["ExitNodeID"], p["ExitNodeIP"] = node["StableID"], ""
                logf(f"prefs reconciled: exit node {node['StableID']}")
                return True
        return changed

    # --- serve config ------------------------------------------------------
    def serve_config(self) -> dict | None:
        """The config in force: stored under `_serve/<profile>`, loaded only with a netmap.

        Foreground sessions whose bus watcher has gone are dropped, as on reload.
        """
        with self.lock:
            if self.netmap is None or not self.profile_id:
                return None
            raw = self.store.read(f"_serve/{self.profile_id}")
        try:
            config = json.loads(raw) if raw else None
        except ValueError:
            config = None
        if not isinstance(config, dict):
            return None
        if config.get("Foreground"):
            live = self.bus.session_ids()
            kept = {k: v for k, v in config["Foreground"].items() if k in live}
            config = {k: v for k, v in config.items() if k != "Foreground"}
            if kept:
                config["Foreground"] = kept
        return config

    def set_serve_config(self, config: dict, if_match: str) -> None:
        """setServeConfigLocked: checks in tailscaled's order, then one store write."""
        with self.lock:
            if serve.funnel_on(config) and self.prefs["ShieldsUp"]:
                raise serve.ServeConfigError("Unable to turn on Funnel while shields-up is enabled")
            if self.netmap is None:
                raise serve.ServeConfigError("netMap is nil")
            current = self.serve_config()
            if if_match and if_match != serve.etag(current):
                raise ETagMismatch("etag mismatch")
            serve.validate_update(current, config)
            self.store.write(f"_serve/{self.profile_id}", serve.encode(config))
            logf(f"serve: config set ({len(config.get('TCP') or {})} TCP ports)")

    def wait_for_peer(self, stable_id: str, generation: int, timeout: float) -> dict | None:
        """The peer, from a netmap at least as new as control's `generation`, while Running."""
        with self.lock:
            self.netmap_changed.wait_for(
                lambda: self.netmap is not None and self.netmap["generation"] >= generation,
                timeout,
            )
            if self.netmap is None or self.state != RUNNING:
                return None
            return next((p for p in self.netmap["peers"] if p["StableID"] == stable_id), None)

    # --- startup and LocalAPI operations -----------------------------------
    def boot(self) -> None:
        """Start({}) at daemon start: a stored, logged-in profile reconnects by itself."""
        with self.lock:
            if self.prefs["WantRunning"] and not self.store_error:
                self.machine_key()
            self._restart_session()
            self._recompute()

    def start(self, options: dict) -> None:
        if self.store_error:
            raise BackendError(500, "cannot start backend when state store is unhealthy")
        with self.lock:
            update = options.get("UpdatePrefs")
            if update is not None:
                try:
                    self.prefs = prefs.from_update(update, self.prefs["Config"])
                except prefs.PrefsError as err:
                    raise BackendError(500, str(err)) from None
                self._resolve_exit_node_ip()
            if options.get("AuthKey"):
                self.auth_key = options["AuthKey"]
            if self.prefs["WantRunning"]:
                self.machine_key()
            self.auth_url = self.login_error = ""
            self.login_wanted = False
            self._save_profile()
            self._send(Prefs=self.prefs_view())
            self._restart_session()
            self._recompute()

    def patch_prefs(self, masked: dict) -> dict:
        with self.lock:
            old = self.prefs
            self.prefs = prefs.apply_masked(old, masked)
            self._resolve_exit_node_ip()
            self._save_profile()
            self._send(Prefs=self.prefs_view())
            watched = ("WantRunning", "Hostname", "ControlURL", "AdvertiseTags")
            if any(old[name] != self.prefs[name] for name in watched):
                self._restart_session()
            self._recompute()
            return self.prefs_view()

    def login_interactive(self) -> None:
        if self.store_error:
            raise BackendError(500, "cannot log in when state store is unhealthy")
        with self.lock:
            if self.auth_url:
                self._send(BrowseToURL=self.auth_url)
                return
            self.login_wanted = True
            self.login_error = ""
            self.machine_key()
            self._restart_session()
            self._recompute()

    def logout(self) -> None:
        with self.lock:
            if not self.has_node_key():
                return
            self.prefs["WantRunning"] = False
            self.prefs["LoggedOut"] = True
            self._save_profile()
            self._restart_session()
            node_key, control_url = self.node_public_key(), self.prefs["ControlURL"]
            self._recompute()
        try:
            control_client.post(
                control_url, "/machine/logout", {"node_key": node_key}, LOGOUT_TIMEOUT
            )
        except ControlRejected:
            pass  # control had already forgotten the node
        except ControlUnreachable as err:
            raise BackendError(500, f"logout: {err}") from None
        with self.lock:
            self._drop_profiles(keep_control_url=True)
            self._send(Prefs=self.prefs_view())
            self._recompute()

    def reset_auth(self) -> None:
        with self.lock:
            self.store.delete("_machinekey")
            self._drop_profiles(keep_control_url=False)
            self._restart_session()
            self._send(Prefs=self.prefs_view())
            self._recompute()

    def shutdown(self) -> None:
        """SIGTERM: an ephemeral (mem:) node logs out, best effort, within 5 s."""
        with self.lock:
            self.shutting_down = True
            self.session_gen += 1
            node_key, url = self.node_public_key(), self.prefs["ControlURL"]
            ephemeral_node = self.ephemeral and self.has_node_key()
        if ephemeral_node:
            try:
                control_client.post(url, "/machine/logout", {"node_key": node_key}, 5.0)
            except (ControlRejected, ControlUnreachable) as err:
                logf(f"ephemeral logout: {err}")

    # --- control session ---------------------------------------------------
    def _restart_session(self) -> None:
        self.session_gen += 1
        self.map_up = False
        threading.Thread(target=self._session, args=(self.session_gen,), daemon=True).start()

    def _plan(self) -> str | None:
        if self.store_error or self.shutting_down:
            return None
        if self.login_wanted:
            return "wait-auth" if self.auth_url else "register"
        p = self.prefs
        if (
            p["WantRunning"]
            and not p["LoggedOut"]
            and self.has_node_key()
            and not self.key_rejected
        ):
            return "map"
        return None

    def _session(self, gen: int) -> None:
        delay = 0.5
        while True:
            with self.lock:
                if gen != self.session_gen:
                    return
                plan = self._plan()
                url = self.prefs["ControlURL"] or prefs.DEFAULT_CONTROL_URL
            if plan is None:
                return
            try:
                {"register": self._register, "wait-auth": self._wait_auth, "map": self._map}[plan](
                    gen, url
                )
                delay = 0.5
            except ControlUnreachable as err:
                self._control_failed(gen, err)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
            except ControlRejected as err:
                self._rejected(gen, str(err))

    def _control_failed(self, gen: int, err: Exception) -> None:
        with self.lock:
            if gen != self.session_gen:
                return
            logf(f"control: {err}")
            self.control_down = True
            self.map_up = False
            self._recompute()

    def _rejected(self, gen: int, reason: str) -> None:
        with self.lock:
            if gen != self.session_gen:
                return
            logf(f"control: node rejected: {reason}")
            self.key_rejected = True
            self.netmap = None
            self.map_up = self.derp_ok = False
            self._recompute()

    def _register(self, gen: int, url: str) -> None:
        with self.lock:
            new_key = keys.new_private()
            request = {
                "machine_key": keys.public(self.machine_key(), "mkey"),
                "node_key": keys.public(new_key, "nodekey"),
                "old_node_key": self.node_public_key(),
                "hostname": self.hostname(),
                "auth_key": self.auth_key,
                "ephemeral": self.ephemeral,
                "request_tags": sorted(set(self.prefs["AdvertiseTags"] or [])),
            }
        logf(f"control: RegisterReq: onode= node={request['node_key'][:16]}… fup=false")
        response = control_client.post(url, "/machine/register", request, 10.0)
        with self.lock:
            if gen != self.session_gen:
                return
            self.control_down = False
            if response.get("error"):
                self.login_error = response["error"]
                self.login_wanted = False
                logf(f"Received error: {self.login_error}")
                self._send(ErrMessage=self.login_error)
            elif response.get("auth_url"):
                self.auth_url = response["auth_url"]
                self.pending_node_key = new_key
                logf("control: AuthURL is " + self.auth_url)
                self._send(BrowseToURL=self.auth_url)
            else:
                self._registered(new_key)
            self._recompute()

    def _wait_auth(self, gen: int, url: str) -> None:
        with self.lock:
            body = {"auth_url": self.auth_url, "timeout": MAP_POLL_SECONDS}
        response = control_client.post(url, "/machine/wait-auth", body, MAP_POLL_SECONDS + 10)
        with self.lock:
            if gen == self.session_gen and response.get("node_id"):
                self._registered(self.pending_node_key)
                self._recompute()

    def _registered(self, private_node_key: str) -> None:
        """Control accepted a new node key; the first netmap completes the login."""
        old = self.prefs["Config"] or {}
        self.prefs["Config"] = {
            "PrivateNodeKey": private_node_key,
            "OldPrivateNodeKey": old.get("PrivateNodeKey", keys.ZERO_PRIVATE),
            "UserProfile": old.get("UserProfile") or {},
            "NetworkLockKey": old.get("NetworkLockKey")
            or keys.new_private().replace("privkey", "nlpriv"),
            "NodeID": old.get("NodeID", ""),
        }
        self.login_wanted = self.key_rejected = False
        self.auth_url = self.auth_key = self.login_error = ""
        self.new_login = True
        self.netmap = None
        self.derp_ok = False

    def _map(self, gen: int, url: str) -> None:
        with self.lock:
            since = self.netmap["generation"] if self.netmap and self.map_up else -1
            body = {
                "node_key": self.node_public_key(),
                "hostname": self.hostname(),
                "since": since,
                "timeout": MAP_POLL_SECONDS,
                "ingress_port": self.ingress_port,
                # Hostinfo.RequestTags: a registered node asks for its tags this way.
                "request_tags": sorted(set(self.prefs["AdvertiseTags"] or [])),
            }
        netmap = control_client.post(url, "/machine/map", body, MAP_POLL_SECONDS + 10)
        with self.lock:
            if gen == self.session_gen:
                self._apply_netmap(gen, netmap)

    def _apply_netmap(self, gen: int, netmap: dict) -> None:
        old_self = self.netmap["node"] if self.netmap else None
        self.netmap = netmap
        self.netmap_changed.notify_all()
        self.map_up = True
        self.control_down = False
        node = netmap["node"]
        exit_node_resolved = self._resolve_exit_node_ip()
        if self.new_login:
            self.new_login = False
            user = netmap["user_profiles"][str(node["User"])]
            self.prefs["Config"]["UserProfile"] = user
            self.prefs["Config"]["NodeID"] = node["StableID"]
            self.prefs["LoggedOut"] = False
            self.prefs["ControlURL"] = self.prefs["ControlURL"] or prefs.DEFAULT_CONTROL_URL
            self.profile_id = self.profile_id or secrets.token_hex(2)
            self._save_profile()
            logf(f"control: login finished; node {node['StableID']} as {user['LoginName']}")
            self._send(LoginFinished={})
            self._send(Prefs=self.prefs_view())
        else:
            self._save_profile()  # tailnet display name (or the exit node) may have changed
            if exit_node_resolved:
                self._send(Prefs=self.prefs_view())
        if old_self != node:
            self._send(SelfChange=node)
        if not self.derp_ok and not node["Expired"]:
            threading.Timer(DERP_DELAY, self._derp_connected, [gen]).start()
        self._recompute()
