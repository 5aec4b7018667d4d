"""Inbound tailnet connections: netstack's part of tailscaled, over a simulated wire.

fake-tailscale-control relays a peer's connection here behind one JSON line
(`{"from", "port", "generation"}`, see fake_control.dataplane). From then on it
is that peer connecting to this node's tailnet IP on `port`, and is handled as
userspace tailscaled does: a port named in the serve config goes to serve
(serve_proxy.py); any other is forwarded to 127.0.0.1:<port>, with the local
leg registered in the ProxyMapper for as long as the connection lives, so
`whois?addr=127.0.0.1:<ephemeral>` names the peer.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading

from ..streams import pipe
from . import serve, serve_proxy
from .backend import Backend
from .logs import logf

HEADER_LIMIT = 4096
PEER_WAIT = 10.0
DIAL_TIMEOUT = 10.0


class IngressServer(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        super().__init__(("127.0.0.1", 0), IngressHandler)


class IngressHandler(socketserver.BaseRequestHandler):
    server: IngressServer

    def handle(self) -> None:
        conn: socket.socket = self.request
        backend = self.server.backend
        try:
            header = json.loads(_read_line(conn))
            port = int(header["port"])
        except (OSError, ValueError, KeyError, TypeError):
            return
        peer = backend.wait_for_peer(
            str(header.get("from")), int(header.get("generation", 0)), PEER_WAIT
        )
        if peer is None:
            logf(f"netstack: dropped a connection to port {port}: not a peer, or not Running")
            return
        peer_ip = peer["Addresses"][0].split("/")[0]
        handler = serve.find_tcp(backend.serve_config() or {}, port)
        if handler is not None:
            serve_proxy.serve_connection(backend, conn, port, handler, peer)
        else:
            _forward(backend, conn, port, peer_ip)


def _read_line(conn: socket.socket) -> bytes:
    """The header, byte by byte: what follows belongs to the peer's stream (e.g. TLS)."""
    line = b""
    while not line.endswith(b"\n"):
        byte = conn.recv(1)
        if not byte or len(line) > HEADER_LIMIT:
            raise ValueError("no header")
        line += byte
    return line


def _forward(backend: Backend, conn: socket.socket, port: int, peer_ip: str) -> None:
    try:
        local = socket.create_connection(("127.0.0.1", port), timeout=DIAL_TIMEOUT)
    except OSError as err:
        logf(f"netstack: could not connect to local backend server at 127.0.0.1:{port}: {err}")
        return
    leg = local.getsockname()[:2]
    with backend.lock:
        backend.proxy_map[leg] = peer_ip
    try:
        with local:
            pipe(conn, local)
    finally:
        with backend.lock:
            backend.proxy_map.pop(leg, None)


def start_ingress(backend: Backend) -> IngressServer:
    server = IngressServer(backend)
    backend.ingress_port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
