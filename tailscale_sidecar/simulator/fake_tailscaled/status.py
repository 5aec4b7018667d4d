"""Read-only views of the backend: ipnstate.Status, whois, user metrics."""

from __future__ import annotations

import ipaddress
import socket

from .backend import STATE_NAMES, Backend

ZERO_TIME = "0001-01-01T00:00:00Z"
EXIT_ROUTES = {"0.0.0.0/0", "::/0"}


def _ips(node: dict) -> list[str]:
    return [prefix.split("/")[0] for prefix in node["Addresses"]]


def peer_status(node: dict, *, online: bool, is_self: bool, exit_node_id: str = "") -> dict:
    """A tailcfg.Node from control as an ipnstate.PeerStatus.

    ExitNodeOption: its AllowedIPs hold both exit routes; ExitNode: it is prefs' ExitNodeID.
    """
    status = {
        "ID": node["StableID"],
        "NodeID": node["ID"],
        "PublicKey": node["Key"],
        "HostName": node["Hostinfo"]["Hostname"],
        "DNSName": node["Name"],
        "OS": "linux",
        "UserID": node["User"],
        "TailscaleIPs": _ips(node),
        "AllowedIPs": node["AllowedIPs"],
        "Addrs": [] if is_self else None,
        "CurAddr": "",
        "Relay": "sim",
        "PeerRelay": "",
        "RxBytes": 0,
        "TxBytes": 0,
        "Created": node["Created"],
        "LastWrite": ZERO_TIME,
        "LastSeen": ZERO_TIME,
        "LastHandshake": ZERO_TIME,
        "Online": online,
        "ExitNode": bool(exit_node_id) and node["StableID"] == exit_node_id,
        "ExitNodeOption": set(node["AllowedIPs"]) >= EXIT_ROUTES,
        "Active": False,
        "PeerAPIURL": None,
        "TaildropTarget": 0,
        "NoFileSharingReason": "",
        "InNetworkMap": True,
        "InMagicSock": not is_self,
        "InEngine": not is_self,
    }
    if node.get("Tags"):
        status["Tags"] = node["Tags"]
    if node["KeyExpiry"] != ZERO_TIME:
        status["KeyExpiry"] = node["KeyExpiry"]
    if node["Expired"]:
        status["Expired"] = True
    return status


def _self_without_netmap(backend: Backend) -> dict:
    return {
        "ID": "",
        "PublicKey": backend.node_public_key(),
        "HostName": socket.gethostname(),
        "DNSName": "",
        "OS": "linux",
        "UserID": 0,
        "TailscaleIPs": None,
        "Addrs": [],
        "CurAddr": "",
        "Relay": "",
        "PeerRelay": "",
        "RxBytes": 0,
        "TxBytes": 0,
        "Created": ZERO_TIME,
        "LastWrite": ZERO_TIME,
        "LastSeen": ZERO_TIME,
        "LastHandshake": ZERO_TIME,
        "Online": False,
        "ExitNode": False,
        "ExitNodeOption": False,
        "Active": False,
        "PeerAPIURL": None,
        "TaildropTarget": 0,
        "NoFileSharingReason": "",
        "InNetworkMap": False,
        "InMagicSock": False,
        "InEngine": False,
    }


def _exit_node_status(nm: dict | None, exit_node_id: str) -> dict | None:
    """ipnstate.ExitNodeStatus: only while prefs name an exit node that is in the netmap."""
    peer = next((p for p in nm["peers"] if p["StableID"] == exit_node_id), None) if nm else None
    if not exit_node_id or peer is None:
        return None
    return {"ID": exit_node_id, "Online": peer["Online"], "TailscaleIPs": list(peer["Addresses"])}


def build_status(backend: Backend, *, peers: bool = True) -> dict:
    with backend.lock:
        nm = backend.netmap
        suffix = nm["magic_dns_suffix"] if nm else ""
        exit_node_id = backend.prefs["ExitNodeID"]
        if nm:
            node = nm["node"]
            self_status = peer_status(node, online=backend.map_up, is_self=True)
            peer_map = {
                p["Key"]: peer_status(
                    p, online=p["Online"], is_self=False, exit_node_id=exit_node_id
                )
                for p in nm["peers"]
            }
            users = {uid: dict(profile) for uid, profile in nm["user_profiles"].items()}
        else:
            self_status, peer_map, users = _self_without_netmap(backend), {}, {}
        status = {
            "Version": backend.version,
            "TUN": False,
            "BackendState": STATE_NAMES[backend.state],
            "AuthURL": backend.auth_url,
            "TailscaleIPs": self_status["TailscaleIPs"],
            "Self": self_status,
            "ExitNodeStatus": _exit_node_status(nm, exit_node_id),
            "Health": backend.health_texts(),
            "MagicDNSSuffix": suffix,
            "CurrentTailnet": (
                {"Name": nm["domain"], "MagicDNSSuffix": suffix, "MagicDNSEnabled": True}
                if nm
                else None
            ),
            "CertDomains": nm.get("cert_domains") if nm else None,
            "Peer": peer_map if peers else None,
            "User": users or None,
            "ClientVersion": None,
        }
        if status["ExitNodeStatus"] is None:
            del status["ExitNodeStatus"]  # omitempty
        if backend.has_node_key():
            # omitempty: absent when false, in tailscaled's field order.
            status = {**dict(list(status.items())[:3]), "HaveNodeKey": True, **status}
        return status


class WhoisError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _parse_addr(addr: str) -> tuple[str, int]:
    """Returns (ip, port) for IP, IP:port or [v6]:port; port 0 when there is none."""
    host, port = addr, "0"
    if addr.startswith("["):
        host, _, rest = addr[1:].partition("]")
        port = rest.removeprefix(":") if rest.startswith(":") else "0"
    elif addr.count(":") == 1:
        host, _, port = addr.partition(":")
    ipaddress.ip_address(host)
    if not port.isdigit() or int(port) > 65535:
        raise ValueError(addr)
    return host, int(port)


def whois(backend: Backend, addr: str) -> dict:
    if not addr:
        raise WhoisError(400, "missing 'addr' parameter")
    with backend.lock:
        nm = backend.netmap
        nodes = [nm["node"], *nm["peers"]] if nm else []
        if addr.startswith("nodekey:"):
            match = next((n for n in nodes if n["Key"] == addr), None)
        else:
            try:
                ip, port = _parse_addr(addr)
            except ValueError:
                raise WhoisError(400, "invalid 'addr' parameter") from None
            match = next((n for n in nodes if ip in _ips(n)), None)
            if match is None and port:
                # A forwarded connection's local leg names its peer (the ProxyMapper).
                peer_ip = backend.proxy_map.get((str(ipaddress.ip_address(ip)), port))
                match = next((n for n in nodes if peer_ip in _ips(n)), None)
        if match is None:
            raise WhoisError(404, "no match for IP:port")
        user = nm["user_profiles"][str(match["User"])]
        return {"Node": match, "UserProfile": user, "CapMap": None}


def user_metrics(backend: Backend) -> str:
    with backend.lock:
        warnings = len(backend.health)
    return (
        "# TYPE tailscaled_inbound_bytes_total counter\n"
        'tailscaled_inbound_bytes_total{path="direct_ipv4"} 0\n'
        "# TYPE tailscaled_outbound_bytes_total counter\n"
        'tailscaled_outbound_bytes_total{path="direct_ipv4"} 0\n'
        "# TYPE tailscaled_health_messages gauge\n"
        f'tailscaled_health_messages{{type="warning"}} {warnings}\n'
        "# TYPE tailscaled_advertised_routes gauge\n"
        "tailscaled_advertised_routes 0\n"
        "# TYPE tailscaled_approved_routes gauge\n"
        "tailscaled_approved_routes 0\n"
    )
