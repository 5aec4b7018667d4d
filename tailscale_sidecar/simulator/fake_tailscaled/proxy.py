"""Outbound SOCKS5 and HTTP proxies (--socks5-server, --outbound-http-proxy-listen).

A destination that is a peer (MagicDNS short name, FQDN or tailnet IP) is
dialled at 127.0.0.1:<port>: every simulated node lives on this machine's
loopback, exactly where a real peer's userspace tailscaled would deliver.
Anything else is the internet: with prefs' ExitNodeID set it goes out through
that exit node (control's /machine/exit-dial gives a loopback address that
relays to it), otherwise it is dialled directly. There is no internet here, so
behind an exit node loopback destinations stand for it. When both flags name
one address, one listener serves both and tells them apart by the first byte
(net/proxymux).
"""

from __future__ import annotations

import socket
import socketserver
import threading
from urllib.parse import urlsplit

from ..streams import pipe
from . import control_client
from .backend import Backend
from .control_client import ControlRejected, ControlUnreachable
from .logs import logf

SOCKS_VERSION = 5
DIAL_TIMEOUT = 10.0


class DialError(OSError):
    """A dial through the exit node failed; the message is what the proxies report."""


def _is_tailnet(backend: Backend, host: str) -> bool:
    """Whether `host` names a node of the tailnet (this one or a peer)."""
    wanted = host.lower().rstrip(".")
    nm = backend.netmap
    for node in [nm["node"], *nm["peers"]] if nm else []:
        fqdn = node["Name"].rstrip(".")
        ips = [prefix.split("/")[0] for prefix in node["Addresses"]]
        if wanted in (fqdn, fqdn.split(".")[0], *ips):
            return True
    return False


def dial(backend: Backend, host: str, port: int) -> socket.socket:
    """A connection to host:port: a peer on loopback, else direct or through the exit node."""
    with backend.lock:
        tailnet = _is_tailnet(backend, host)
        exit_node_id = backend.prefs["ExitNodeID"]
        control_url = backend.prefs["ControlURL"]
        node_key = backend.node_public_key()
    if tailnet:
        return socket.create_connection(("127.0.0.1", port), timeout=DIAL_TIMEOUT)
    if not exit_node_id:
        return socket.create_connection((host, port), timeout=DIAL_TIMEOUT)
    dest = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    body = {"node_key": node_key, "exit": exit_node_id, "dest": dest}
    try:
        answer = control_client.post(control_url, "/machine/exit-dial", body, DIAL_TIMEOUT)
    except (ControlRejected, ControlUnreachable) as err:
        raise DialError(f"exit node {exit_node_id}: {err}") from None
    if answer.get("error"):
        raise DialError(str(answer["error"]))
    relay_host, _, relay_port = str(answer["address"]).rpartition(":")
    return socket.create_connection((relay_host, int(relay_port)), timeout=DIAL_TIMEOUT)


class ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], backend: Backend, *, socks: bool, http: bool):
        self.backend = backend
        self.socks = socks
        self.http = http
        super().__init__(address, ProxyHandler)

    @property
    def address_text(self) -> str:
        host, port = self.server_address[:2]
        return f"{host}:{port}"


class ProxyHandler(socketserver.BaseRequestHandler):
    server: ProxyServer

    def handle(self) -> None:
        conn: socket.socket = self.request
        try:
            first = conn.recv(1, socket.MSG_PEEK)
            if not first:
                return
            if first[0] == SOCKS_VERSION and self.server.socks:
                self._socks5(conn)
            elif self.server.http:
                self._http(conn)
        except OSError as err:
            logf(f"proxy: {err}", level=1)
        finally:
            conn.close()

    # --- SOCKS5 (RFC 1928, no auth, CONNECT only) --------------------------
    def _socks5(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        _version, n_methods = reader.read(2)
        methods = reader.read(n_methods)
        if 0 not in methods:
            conn.sendall(b"\x05\xff")
            return
        conn.sendall(b"\x05\x00")
        _ver, command, _rsv, atyp = reader.read(4)
        if atyp == 1:
            host = socket.inet_ntop(socket.AF_INET, reader.read(4))
        elif atyp == 4:
            host = socket.inet_ntop(socket.AF_INET6, reader.read(16))
        else:
            host = reader.read(reader.read(1)[0]).decode()
        port = int.from_bytes(reader.read(2), "big")
        if command != 1:
            conn.sendall(b"\x05\x07\x00\x01" + bytes(6))  # command not supported
            return
        try:
            upstream = dial(self.server.backend, host, port)
        except OSError as err:
            logf(f"socks5: dial {host}:{port}: {err}", level=1)
            conn.sendall(b"\x05\x01\x00\x01" + bytes(6))  # general failure, as tailscaled
            return
        with upstream:
            conn.sendall(b"\x05\x00\x00\x01" + bytes(6))
            pipe(conn, upstream)

    # --- HTTP proxy (CONNECT and absolute-URI forwarding) -----------------
    def _http(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        request_line = reader.readline(65536).decode("latin-1").rstrip("\r\n")
        headers = []
        while (line := reader.readline(65536)) not in (b"\r\n", b"\n", b""):
            headers.append(line.decode("latin-1").rstrip("\r\n"))
        method, _, rest = request_line.partition(" ")
        target = rest.rpartition(" ")[0]
        if method == "CONNECT":
            return self._connect(conn, target)
        url = urlsplit(target)
        if url.scheme != "http" or not url.hostname:
            return self._error(conn, 400, "bogus RequestURI; must be absolute URL or CONNECT")
        try:
            upstream = dial(self.server.backend, url.hostname, url.port or 80)
        except OSError as err:
            return self._error(conn, 502, str(err))
        origin_form = (url.path or "/") + (f"?{url.query}" if url.query else "")
        kept = [
            h for h in headers if not h.lower().startswith(("proxy-", "connection:", "keep-alive:"))
        ]
        head = [f"{method} {origin_form} HTTP/1.1", *kept, "Connection: close", "", ""]
        with upstream:
            upstream.sendall("\r\n".join(head).encode("latin-1"))
            # The request body may already sit in our read buffer: forward it by length.
            length = next(
                (
                    int(h.split(":", 1)[1])
                    for h in headers
                    if h.lower().startswith("content-length:")
                ),
                0,
            )
            if length:
                upstream.sendall(reader.read(length))
            pipe(conn, upstream)

    def _connect(self, conn: socket.socket, target: str) -> None:
        host, _, port = target.rpartition(":")
        try:
            upstream = dial(self.server.backend, host.strip("[]"), int(port))
        except (OSError, ValueError) as err:
            message = f"dial tcp {target}: {err}"
            return self._error(conn, 500, message, {"Tailscale-Connect-Error": message})
        with upstream:
            conn.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
            pipe(conn, upstream)

    def _error(self, conn: socket.socket, status: int, message: str, extra: dict | None = None):
        reason = {400: "Bad Request", 500: "Internal Server Error", 502: "Bad Gateway"}[status]
        body = f"{message}\n".encode()
        head = [
            f"HTTP/1.1 {status} {reason}",
            "Content-Type: text/plain; charset=utf-8",
            "X-Content-Type-Options: nosniff",
            f"Content-Length: {len(body)}",
            "Connection: close",
            *(f"{k}: {v}" for k, v in (extra or {}).items()),
            "",
            "",
        ]
        conn.sendall("\r\n".join(head).encode() + body)


def parse_addr(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    host = host.strip("[]")
    return (host if host and host != "localhost" else "127.0.0.1"), int(port or 0)


def start_proxies(backend: Backend, socks_addr: str, http_addr: str) -> list[ProxyServer]:
    """Start the listeners and log their addresses as tailscaled does."""
    shared = socks_addr and socks_addr == http_addr and not socks_addr.endswith(":0")
    specs = []
    if shared:
        specs.append((socks_addr, True, True))
    else:
        if socks_addr:
            specs.append((socks_addr, True, False))
        if http_addr:
            specs.append((http_addr, False, True))
    servers = []
    for addr, socks, http in specs:
        server = ProxyServer(parse_addr(addr), backend, socks=socks, http=http)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        if socks:
            logf(f"SOCKS5 listening on {server.address_text}")
        if http:
            logf(f"HTTP proxy listening on {server.address_text}")
        servers.append(server)
    return servers
