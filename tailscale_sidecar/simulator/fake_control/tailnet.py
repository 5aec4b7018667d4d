"""The simulated tailnet: nodes, auth keys, pending logins and settings.

Everything lives in one JSON document saved atomically after each change, so
the control server keeps its tailnet across restarts. A generation counter
plus a condition variable lets map long-polls wake up on any change.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import secrets
import string
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .names import sanitize_label, unique_label

NODE_KEY_LIFETIME = timedelta(days=180)
# A node counts as online while it polled within this window (polls last <= 25 s).
ONLINE_WINDOW = 35.0
_ALNUM = string.ascii_letters + string.digits
_V4_NET = ipaddress.IPv4Network("100.64.0.0/10")
_V6_BASE = int(ipaddress.IPv6Address("fd7a:115c:a1e0::"))
TAGGED_USER = {"ID": 2, "LoginName": "tagged-devices", "DisplayName": "Tagged Devices"}
# The routes an approved exit node has in its AllowedIPs (tsaddr.ContainsExitRoutes).
EXIT_ROUTES = ["0.0.0.0/0", "::/0"]
# How many flows an exit node's admin view keeps (newest last).
EXIT_FLOWS_KEPT = 100


class RegisterError(Exception):
    """A registration control refuses; the message reaches the client as ErrMessage."""


class AdminError(Exception):
    """An admin API request control refuses (400)."""


class ExitDialError(Exception):
    """An exit-dial control refuses; the message is what the node's proxy reports."""


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def rfc3339(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _random_id(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Tailnet:
    def __init__(self, data_dir: Path, *, name: str, magic_dns_suffix: str) -> None:
        self.path = data_dir / "control.json"
        self.name = name
        self.magic_dns_suffix = magic_dns_suffix
        self.changed = threading.Condition()
        self.generation = 0
        self._last_poll: dict[str, float] = {}
        # Where each running daemon takes simulated tailnet connections (see fake_control.dataplane).
        self._ingress: dict[str, int] = {}
        # Connections each exit node carried, in memory only: {"from", "dest"}, newest last.
        self._exit_flows: dict[str, list[dict]] = {}
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data = self._load()

    # --- persistence -------------------------------------------------------
    def _load(self) -> dict:
        empty = {
            "next_node_id": 1001,
            "next_user_id": 3,
            "nodes": {},
            "keys": {},
            "logins": {},
            "settings": {},
            "users": {},
        }
        if not self.path.exists():
            return empty
        data = json.loads(self.path.read_text())
        return {**empty, **data}

    def _save(self) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name + ".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(self.data, f, indent=2, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def _commit(self) -> None:
        """Save, then wake every map long-poll (caller holds `changed`)."""
        self._save()
        self.generation += 1
        self.changed.notify_all()

    # --- settings ----------------------------------------------------------
    def setting(self, key: str) -> bool:
        return bool(self.data["settings"].get(key, False))

    def update_settings(self, values: dict) -> dict:
        with self.changed:
            for key in ("require_machine_auth", "offline", "https"):
                if key in values:
                    self.data["settings"][key] = bool(values[key])
            self._commit()
            return dict(self.data["settings"])

    # --- users -------------------------------------------------------------
    def _owner_login(self) -> str:
        return f"owner@{self.name}" if "@" not in self.name else self.name

    def owner(self) -> dict:
        """User 1 owns every daemon's untagged node; the admin API may rename it."""
        default = {"ID": 1, "LoginName": self._owner_login(), "DisplayName": "Owner"}
        return self.data["users"].get(self._owner_login(), default)

    def user_of(self, node: dict) -> dict:
        if node["tags"]:
            return TAGGED_USER
        return self.data["users"].get(node.get("user") or "", None) or self.owner()

    def add_user(self, spec: dict) -> dict:
        """Create (or rename) a tailnet user; answers it as the admin API names it."""
        login = str(spec.get("login_name") or "").strip()
        if "@" not in login:
            raise AdminError('"login_name" must be a login such as alice@example.com')
        with self.changed:
            user = self.data["users"].get(login)
            if user is None and login == self._owner_login():
                user = {"ID": 1, "LoginName": login}
            elif user is None:
                user = {"ID": self.data["next_user_id"], "LoginName": login}
                self.data["next_user_id"] += 1
            self.data["users"][login] = user
            user["DisplayName"] = str(spec.get("display_name") or login.split("@")[0])
            self._commit()
            return self.admin_user(user)

    @staticmethod
    def admin_user(user: dict) -> dict:
        return {
            "id": user["ID"],
            "login_name": user["LoginName"],
            "display_name": user["DisplayName"],
        }

    # --- auth keys ---------------------------------------------------------
    def create_key(self, spec: dict) -> dict:
        key_id = f"k{_random_id(10)}CNTRL"
        secret = _random_id(32)
        expiry = now() + timedelta(seconds=int(spec.get("expiry_seconds", 3600)))
        with self.changed:
            self.data["keys"][key_id] = {
                "secret_sha256": _hash_secret(secret),
                "reusable": bool(spec.get("reusable", False)),
                "ephemeral": bool(spec.get("ephemeral", False)),
                "preauthorized": bool(spec.get("preauthorized", True)),
                "tags": sorted(set(spec.get("tags") or [])),
                "expires": rfc3339(expiry),
                "uses": 0,
            }
            self._commit()
        return {"key": f"tskey-auth-{key_id}-{secret}", "id": key_id}

    def _check_key(self, auth_key: str) -> tuple[str, dict]:
        missing = RegisterError("invalid key: API key does not exist")
        if not auth_key.startswith("tskey-auth-k"):
            raise missing
        key_id, _, secret = auth_key.removeprefix("tskey-auth-").partition("CNTRL-")
        key_id += "CNTRL"
        key = self.data["keys"].get(key_id)
        if key is None or key["secret_sha256"] != _hash_secret(secret):
            raise missing
        used_up = key["uses"] > 0 and not key["reusable"]
        if used_up or _parse_time(key["expires"]) <= now():
            raise RegisterError(f"invalid key: API key {key_id} not valid")
        return key_id, key

    # --- nodes -------------------------------------------------------------
    def _node_by(self, field: str, value: str) -> dict | None:
        if not value:
            return None
        return next((n for n in self.data["nodes"].values() if n[field] == value), None)

    def node(self, stable_id: str) -> dict | None:
        return self.data["nodes"].get(stable_id)

    def _allocate_ips(self) -> list[str]:
        taken = {n["ips"][0] for n in self.data["nodes"].values()}
        while True:
            offset = secrets.randbelow(_V4_NET.num_addresses - 2) + 1
            v4 = _V4_NET.network_address + offset
            if str(v4) not in taken and str(v4) != "100.100.100.100":
                v6 = ipaddress.IPv6Address(_V6_BASE + int(v4))
                return [str(v4), str(v6)]

    def _label_for(self, hostname: str, stable_id: str | None) -> str:
        taken = {n["name"] for n in self.data["nodes"].values() if n["id"] != stable_id}
        return unique_label(sanitize_label(hostname), taken)

    def _upsert_node(
        self, req: dict, *, tags: list[str], authorized: bool, ephemeral: bool
    ) -> dict:
        """Create the node for this machine key, or re-key the existing one."""
        node = self._node_by("machine_key", req["machine_key"])
        if node is None:
            stable_id = f"n{_random_id(8)}CNTRL"
            node = {
                "id": stable_id,
                "node_id": self.data["next_node_id"],
                "machine_key": req["machine_key"],
                "ips": self._allocate_ips(),
                "created": rfc3339(now()),
                "authorized": authorized,
            }
            self.data["next_node_id"] += 1
            self.data["nodes"][stable_id] = node
        node["authorized"] = node["authorized"] or authorized
        node["hostname"] = req.get("hostname") or "device"
        node["name"] = self._label_for(node["hostname"], node["id"])
        node["node_key"] = req["node_key"]
        node["tags"] = tags
        # What the node asked for when it registered: a later change is a re-tag.
        node["request_tags"] = sorted(set(req.get("request_tags") or []))
        node["ephemeral"] = ephemeral
        expiry = None if tags else now() + NODE_KEY_LIFETIME
        node["key_expiry"] = rfc3339(expiry)
        return node

    def add_device(self, spec: dict) -> dict:
        """A peer without a daemon (a phone, a laptop): online, in every node's netmap.

        With `"exit_node": true` it offers an (approved) exit node.
        """
        hostname = str(spec.get("hostname") or "").strip()
        login = str(spec.get("user") or "")
        tags = sorted(set(spec.get("tags") or []))
        if not hostname:
            raise AdminError('"hostname" is required')
        if bool(login) == bool(tags):
            raise AdminError('give either "user" (a login name) or "tags", not both')
        if any(not str(tag).startswith("tag:") for tag in tags):
            raise AdminError('tags look like "tag:server"')
        with self.changed:
            if login and login != self._owner_login() and login not in self.data["users"]:
                raise AdminError(f"unknown user {login!r}: create it with POST /admin/api/users")
            stable_id = f"n{_random_id(8)}CNTRL"
            node = {
                "id": stable_id,
                "node_id": self.data["next_node_id"],
                "machine_key": "mkey:" + secrets.token_hex(32),
                "node_key": "nodekey:" + secrets.token_hex(32),
                "ips": self._allocate_ips(),
                "created": rfc3339(now()),
                "authorized": True,
                "hostname": hostname,
                "name": self._label_for(hostname, None),
                "tags": tags,
                "ephemeral": False,
                "key_expiry": None if tags else rfc3339(now() + NODE_KEY_LIFETIME),
                "user": login or None,
                "device": True,
                "online": True,
                "exit_node": bool(spec.get("exit_node")),
            }
            self.data["next_node_id"] += 1
            self.data["nodes"][stable_id] = node
            self._commit()
            return self.admin_node(node)

    def register(self, req: dict) -> dict:
        """Register with an auth key, or open a pending interactive login."""
        with self.changed:
            auth_key = req.get("auth_key") or ""
            if not auth_key:
                code = secrets.token_hex(6)
                self.data["logins"][code] = {"request": req, "node": None}
                self._commit()
                return {"auth_code": code}
            key_id, key = self._check_key(auth_key)
            key["uses"] += 1
            tags = key["tags"] or sorted(set(req.get("request_tags") or []))
            authorized = key["preauthorized"] or not self.setting("require_machine_auth")
            ephemeral = key["ephemeral"] or bool(req.get("ephemeral"))
            node = self._upsert_node(req, tags=tags, authorized=authorized, ephemeral=ephemeral)
            self._commit()
            return {"node_id": node["id"]}

    def login(self, code: str) -> dict | None:
        return self.data["logins"].get(code)

    def consent(self, code: str) -> dict | None:
        """The owner clicked Connect: register the waiting device."""
        with self.changed:
            login = self.data["logins"].get(code)
            if login is None:
                return None
            if login["node"] is None:
                req = login["request"]
                node = self._upsert_node(
                    req,
                    tags=sorted(set(req.get("request_tags") or [])),
                    authorized=not self.setting("require_machine_auth"),
                    ephemeral=bool(req.get("ephemeral")),
                )
                login["node"] = node["id"]
                self._commit()
            return login

    def wait_login(self, code: str, timeout: float) -> str | None:
        """Long-poll until the login is consented; returns the node's stable ID."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                login = self.data["logins"].get(code)
                if login is None or login["node"]:
                    return login and login["node"]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.changed.wait(remaining)

    def approve(self, stable_id: str) -> dict | None:
        return self._edit(stable_id, authorized=True)

    def expire(self, stable_id: str) -> dict | None:
        return self._edit(stable_id, key_expiry=rfc3339(now() - timedelta(seconds=1)))

    def _edit(self, stable_id: str, **fields: object) -> dict | None:
        with self.changed:
            node = self.data["nodes"].get(stable_id)
            if node is not None:
                node.update(fields)
                self._commit()
            return node

    def set_online(self, stable_id: str, online: bool) -> dict | None:
        """Take a device (no daemon) offline or back; None for an unknown node."""
        with self.changed:
            node = self.data["nodes"].get(stable_id)
            if node is not None and not node.get("device"):
                raise AdminError(f"node {stable_id} has a daemon: it is online while it polls")
            return self._edit(stable_id, online=online)

    def delete(self, stable_id: str) -> bool:
        with self.changed:
            gone = self.data["nodes"].pop(stable_id, None) is not None
            if gone:
                self._exit_flows.pop(stable_id, None)
                self._commit()
            return gone

    def exit_dial(self, node_key: str, exit_id: str, dest: str) -> bool:
        """Node `node_key` sends a connection to `dest` out through exit node `exit_id`.

        False for an unknown node key; ExitDialError when the exit node cannot carry
        it. Otherwise the flow is recorded on the exit node.
        """
        with self.changed:
            source = self._node_by("node_key", node_key)
            if source is None:
                return False
            exit_node = self.data["nodes"].get(exit_id)
            if exit_node is None:
                raise ExitDialError(f"exit node {exit_id} not found in the network map")
            if not exit_node.get("exit_node"):
                raise ExitDialError(f"node {exit_node['name']} is not an exit node")
            if not self.is_online(exit_node):
                raise ExitDialError(f"exit node {exit_node['name']} is offline")
            flows = self._exit_flows.setdefault(exit_id, [])
            flows.append({"from": source["id"], "dest": dest})
            del flows[:-EXIT_FLOWS_KEPT]
            return True

    def logout(self, node_key: str) -> bool:
        """Expire the node's key; ephemeral nodes are removed."""
        with self.changed:
            node = self._node_by("node_key", node_key)
            if node is None:
                return False
            if node["ephemeral"]:
                del self.data["nodes"][node["id"]]
            else:
                node["node_key"] = ""
                node["key_expiry"] = rfc3339(now() - timedelta(seconds=1))
            self._commit()
            return True

    def is_expired(self, node: dict) -> bool:
        expiry = _parse_time(node["key_expiry"])
        return expiry is not None and expiry <= now()

    def is_online(self, node: dict) -> bool:
        if node.get("device"):
            return bool(node.get("online", True))
        return time.monotonic() - self._last_poll.get(node["id"], -1e9) < ONLINE_WINDOW

    def ingress_port(self, node: dict) -> int | None:
        """The loopback port of the node's daemon's simulated wire, while it polls."""
        return self._ingress.get(node["id"]) if self.is_online(node) else None

    # --- map poll ----------------------------------------------------------
    def poll(
        self,
        node_key: str,
        hostname: str,
        since: int,
        timeout: float,
        ingress_port: int = 0,
        request_tags: list[str] | None = None,
    ) -> dict | None:
        """The node's network map, once something changed after `since`.

        A registered node that asks for other tags than it registered with does not
        get them here: as Tailscale's control does (tailscale/tailscale#13572), its
        node key is expired, and the re-registration that follows (a key, or the
        owner's consent) carries them. Asking for no tags changes nothing: a
        tagged key's tags stay.
        """
        deadline = time.monotonic() + timeout
        with self.changed:
            node = self._node_by("node_key", node_key)
            if node is None:
                return None
            if ingress_port:
                self._ingress[node["id"]] = ingress_port
            was_online = self.is_online(node)
            self._last_poll[node["id"]] = time.monotonic()
            wanted = sorted(set(request_tags or []))
            retag = bool(wanted) and wanted != node.get("request_tags", wanted)
            if retag:
                node["request_tags"] = wanted
                node["key_expiry"] = rfc3339(now() - timedelta(seconds=1))
            rename = bool(hostname) and hostname != node["hostname"]
            if rename:
                node["hostname"] = hostname
                node["name"] = self._label_for(hostname, node["id"])
            if retag or rename:
                self._commit()
            elif not was_online:
                self.generation += 1
                self.changed.notify_all()
            while self.generation <= since:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.changed.wait(remaining)
            node = self._node_by("node_key", node_key)
            if node is None:
                return None
            self._last_poll[node["id"]] = time.monotonic()
            return self._netmap(node)

    def _netmap(self, node: dict) -> dict:
        peers = [n for n in self.data["nodes"].values() if n["id"] != node["id"] and n["node_key"]]
        users = {str(self.user_of(n)["ID"]): self.user_of(n) for n in [node, *peers]}
        return {
            "generation": self.generation,
            "node": self.wire_node(node),
            "peers": [self.wire_node(p) for p in peers],
            "user_profiles": users,
            "domain": self.name,
            "magic_dns_suffix": self.magic_dns_suffix,
            # DNS.CertDomains: the names control helps get certificates for, only with HTTPS on.
            "cert_domains": [self.dns_name(node).rstrip(".")] if self.setting("https") else None,
        }

    # --- views -------------------------------------------------------------
    def dns_name(self, node: dict) -> str:
        return f"{node['name']}.{self.magic_dns_suffix}."

    def wire_node(self, node: dict) -> dict:
        """The node as tailscaled sees it (tailcfg.Node field names)."""
        v4, v6 = node["ips"]
        hostinfo = {"Hostname": node["hostname"], "OS": "linux"}
        # An approved exit node's routes are in AllowedIPs (that makes ExitNodeOption).
        exit_routes = list(EXIT_ROUTES) if node.get("exit_node") else []
        if exit_routes:
            hostinfo["RoutableIPs"] = exit_routes
        return {
            "ID": node["node_id"],
            "StableID": node["id"],
            "Name": self.dns_name(node),
            "User": self.user_of(node)["ID"],
            "Key": node["node_key"],
            "KeyExpiry": node["key_expiry"] or "0001-01-01T00:00:00Z",
            "Machine": node["machine_key"],
            "Addresses": [f"{v4}/32", f"{v6}/128"],
            "AllowedIPs": [f"{v4}/32", f"{v6}/128", *exit_routes],
            "Hostinfo": hostinfo,
            "Created": node["created"],
            "Tags": node["tags"] or None,
            "Online": self.is_online(node),
            "MachineAuthorized": node["authorized"],
            "Expired": self.is_expired(node),
            "ComputedName": node["name"],
            "ComputedNameWithHost": node["name"],
        }

    def admin_node(self, node: dict) -> dict:
        """The node as the admin API lists it."""
        return {
            "id": node["id"],
            "node_id": node["node_id"],
            "hostname": node["hostname"],
            "name": node["name"],
            "dns_name": self.dns_name(node),
            "ips": list(node["ips"]),
            "node_key": node["node_key"],
            "authorized": node["authorized"],
            "expired": self.is_expired(node),
            "key_expiry": node["key_expiry"],
            "tags": list(node["tags"]),
            "ephemeral": node["ephemeral"],
            "online": self.is_online(node),
            "user": self.user_of(node),
            "exit_node": bool(node.get("exit_node")),
            "exit_flows": [dict(flow) for flow in self._exit_flows.get(node["id"], [])],
        }

    def admin_nodes(self) -> list[dict]:
        with self.changed:
            return [self.admin_node(n) for n in self.data["nodes"].values()]
