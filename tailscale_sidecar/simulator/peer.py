"""A tailnet device for programs that speak HTTP proxy: a browser, a load generator.

Control's `connect` gives one loopback address per TCP connection. A browser
opens many, and names hosts instead of addresses, so `PeerProxy` is a local
HTTP proxy that takes `CONNECT <name>:<port>` (and plain `GET http://<name>:<port>/…`),
asks control for a connection from its device to the node of that MagicDNS
name, and pipes the bytes: every connection through it is that device
reaching the node, through serve or plain forwarding, as the daemon decides.

    with PeerProxy(control.url, device_id) as proxy:
        browser.new_context(proxy={"server": proxy.url}, ignore_https_errors=True)
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import socketserver
import threading
from urllib.parse import urlsplit

from .streams import pipe


class PeerProxy:
    def __init__(self, control_url: str, device_id: str) -> None:
        self.control_url = control_url.rstrip("/")
        self.device_id = device_id
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> PeerProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _api(self, method: str, path: str, body: dict | None = None) -> object:
        """Control's admin API (plain HTTP on loopback)."""
        url = urlsplit(self.control_url)
        connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            connection.request(method, path, payload, {"Content-Type": "application/json"})
            response = connection.getresponse()
            answer = json.loads(response.read() or b"null")
        finally:
            connection.close()
        if response.status != 200:
            raise LookupError(f"control answered {response.status} for {path}: {answer}")
        return answer

    def _node_id(self, name: str) -> str:
        wanted = name.rstrip(".").lower()
        nodes = self._api("GET", "/admin/api/nodes")
        for node in nodes if isinstance(nodes, list) else []:
            dns_name = str(node.get("dns_name") or "").rstrip(".").lower()
            if wanted in (dns_name, dns_name.split(".", 1)[0]):
                return str(node["id"])
        raise LookupError(f"no node named {name!r} in the tailnet")

    def _connect(self, name: str, port: int) -> socket.socket:
        body = {"to": self._node_id(name), "port": port}
        answer = self._api("POST", f"/admin/api/nodes/{self.device_id}/connect", body)
        host, _, number = str(answer["address"]).rpartition(":")  # type: ignore[index]
        return socket.create_connection((host, int(number)), timeout=10)

    def _handle(self, client: socket.socket) -> None:
        head, rest = _read_head(client)
        request_line, *headers = head.split(b"\r\n")
        method, target, _ = (request_line.decode("latin-1").split() + ["", "", ""])[:3]
        try:
            if method == "CONNECT":
                name, _, port = target.rpartition(":")
                upstream = self._connect(name, int(port))
                client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            else:
                # One request in absolute form; later ones on the connection pass as sent.
                url = urlsplit(target)
                upstream = self._connect(url.hostname or "", url.port or 80)
                path = (url.path or "/") + (f"?{url.query}" if url.query else "")
                lines = [f"{method} {path} HTTP/1.1".encode(), *headers]
                upstream.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        except (OSError, LookupError, ValueError, KeyError) as exc:
            with contextlib.suppress(OSError):
                client.sendall(f"HTTP/1.1 502 Bad Gateway\r\n\r\n{exc}\n".encode())
            return
        with upstream:
            if rest:
                upstream.sendall(rest)
            pipe(client, upstream)


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    """The request head (without the blank line) and whatever arrived after it."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest
