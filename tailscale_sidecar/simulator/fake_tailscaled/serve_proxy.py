"""`tailscale serve` on a peer's connection: TLS on the node's name, the reverse proxy.

Follows ipn/ipnlocal/serve.go. HTTPS handshakes need SNI, a web handler for
`<SNI>:<port>` and the name in the tailnet's CertDomains; the certificate is
the simulator's committed wildcard for the default MagicDNS suffix (certs/).
The reverse proxy drops hop-by-hop headers and every client-sent
`X-Forwarded-*`, `Forwarded` and `Tailscale-*` identity header, then sets
X-Forwarded-Host, X-Forwarded-Proto (under TLS) and X-Forwarded-For (the
peer's tailnet IP), and, for peers owned by a user (not tags), the
Tailscale-User-Login/-Name/-Profile-Pic and Tailscale-Headers-Info headers.
Its own connections to the backend are not in the ProxyMapper.
"""

from __future__ import annotations

import http.client
import posixpath
import socket
import ssl
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..streams import pipe
from . import serve
from .backend import Backend
from .logs import logf

CERTS = Path(__file__).resolve().parent.parent / "certs"
BACKEND_TIMEOUT = 60.0
HEADERS_INFO = "https://tailscale.com/s/serve-headers"
_HOP_BY_HOP = {
    "connection", "proxy-connection", "keep-alive", "proxy-authenticate",
    "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
}  # fmt: skip
_REPLACED = {
    "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
    "tailscale-user-login", "tailscale-user-name", "tailscale-user-profile-pic",
    "tailscale-funnel-request", "tailscale-headers-info", "tailscale-app-capabilities",
}  # fmt: skip


def serve_connection(
    backend: Backend, conn: socket.socket, port: int, handler: dict, peer: dict
) -> None:
    """One peer connection to a port the serve config names."""
    config = backend.serve_config() or {}
    if handler.get("HTTPS"):

        def has_web(name: str) -> bool:
            return serve.find_web(config, f"{name}:{port}") is not None

        if terminated := _terminate_tls(backend, conn, has_web):
            _serve_http(backend, terminated[0], port, peer, tls_name=terminated[1])
    elif handler.get("HTTP"):
        _serve_http(backend, conn, port, peer, tls_name="")
    elif target := handler.get("TCPForward", ""):
        if sni := handler.get("TerminateTLS"):
            if not (terminated := _terminate_tls(backend, conn, lambda name: name == sni)):
                return
            conn = terminated[0]
        _forward_tcp(conn, target)


def _terminate_tls(
    backend: Backend, conn: socket.socket, configured: Callable[[str], bool]
) -> tuple[ssl.SSLSocket, str] | None:
    """(TLS socket, SNI name); None when the handshake fails, as tailscaled's does for a
    name it has no certificate for."""
    with backend.lock:
        cert_domains = (backend.netmap or {}).get("cert_domains") or []
    seen: dict[str, str] = {}

    def choose(sock: object, name: str | None, ctx: ssl.SSLContext) -> int | None:
        if not name:
            logf("serve: TLS handshake without SNI ServerName")
        elif not configured(name):
            logf(f"serve: no webserver configured for name/port {name!r}")
        elif name not in cert_domains:
            logf(f"serve: no certificate for {name!r}: not in CertDomains (is HTTPS on?)")
        else:
            seen["name"] = name
            return None
        return ssl.ALERT_DESCRIPTION_INTERNAL_ERROR

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERTS / "leaf.pem", CERTS / "leaf.key")
    context.set_alpn_protocols(["http/1.1"])
    context.sni_callback = choose
    try:
        tls = context.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError):
        return None
    return tls, seen["name"]


def _forward_tcp(conn: socket.socket, target: str) -> None:
    host, _, port = target.rpartition(":")
    try:
        upstream = socket.create_connection((host or "127.0.0.1", int(port)), timeout=10)
    except (OSError, ValueError) as err:
        logf(f"serve: could not connect to {target}: {err}")
        return
    with upstream:
        pipe(conn, upstream)


def _serve_http(
    backend: Backend, conn: socket.socket, port: int, peer: dict, *, tls_name: str
) -> None:
    with backend.lock:
        suffix = (backend.netmap or {}).get("magic_dns_suffix", "")
    session = _Session(backend, port, peer, tls_name, suffix)
    try:
        ServeHandler(conn, (session.peer_ip, 0), session)
    except OSError:
        pass
    finally:
        session.close()


def expand_proxy_arg(value: str) -> str:
    """HTTPHandler.Proxy as tailscaled reads it: a port, host:port or a URL."""
    if value.startswith(("unix:", "http://", "https://")):
        return value
    if value.startswith("https+insecure://"):
        return "https://" + value.removeprefix("https+insecure://")
    return f"http://127.0.0.1:{value}" if value.isdigit() else f"http://{value}"


def header_value(value: str) -> str:
    """Go's mime.QEncoding.Encode("utf-8", v): printable ASCII as is, else RFC 2047 words."""
    if all(" " <= char <= "~" or char == "\t" for char in value):
        return value
    words, word = [], ""
    for char in value:
        piece = "_" if char == " " else ""
        for byte in b"" if piece else char.encode():
            plain = 33 <= byte <= 126 and chr(byte) not in "=?_"
            piece += chr(byte) if plain else f"={byte:02X}"
        if len(word) + len(piece) > 63:
            words.append(word)
            word = ""
        word += piece
    words.append(word)
    return " ".join(f"=?utf-8?q?{w}?=" for w in words)


class _Session:
    """One peer connection's view: who is calling, and pooled backend connections."""

    def __init__(self, backend: Backend, port: int, peer: dict, tls_name: str, suffix: str):
        self.backend = backend
        self.port = port
        self.peer = peer
        self.peer_ip = peer["Addresses"][0].split("/")[0]
        self.tls_name = tls_name
        self.suffix = suffix
        self._upstreams: dict[str, http.client.HTTPConnection] = {}

    def identity(self) -> list[tuple[str, str]]:
        if self.peer.get("Tags"):
            return []  # tagged nodes have no user: no identity headers
        with self.backend.lock:
            users = (self.backend.netmap or {}).get("user_profiles", {})
        user = users.get(str(self.peer["User"]), {})
        return [
            ("Tailscale-User-Login", header_value(user.get("LoginName", ""))),
            ("Tailscale-User-Name", header_value(user.get("DisplayName", ""))),
            ("Tailscale-User-Profile-Pic", user.get("ProfilePicURL", "")),
            ("Tailscale-Headers-Info", HEADERS_INFO),
        ]

    def upstream(self, netloc: str, fresh: bool) -> http.client.HTTPConnection:
        if fresh and netloc in self._upstreams:
            self._upstreams.pop(netloc).close()
        if netloc not in self._upstreams:
            self._upstreams[netloc] = http.client.HTTPConnection(netloc, timeout=BACKEND_TIMEOUT)
        return self._upstreams[netloc]

    def drop(self, netloc: str) -> None:
        if netloc in self._upstreams:
            self._upstreams.pop(netloc).close()

    def close(self) -> None:
        for connection in self._upstreams.values():
            connection.close()


class ServeHandler(BaseHTTPRequestHandler):
    """serveWebHandler on one connection (HTTP/1.1, keep-alive)."""

    protocol_version = "HTTP/1.1"
    server: _Session  # type: ignore[assignment]

    def log_message(self, format: str, *args: object) -> None:
        """tailscaled does not log served requests."""

    def _plain(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response_only(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _serve(self) -> None:
        session = self.server
        body = self._read_body()
        host = session.tls_name
        if not host:
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
            if not host.endswith("." + session.suffix):
                host += "." + session.suffix
        config = session.backend.serve_config() or {}
        web = serve.find_web(config, f"{host}:{session.port}") or {}
        raw_path, _, query = self.path.partition("?")
        found = _find_handler(web.get("Handlers") or {}, unquote(raw_path))
        if found is None:
            return self._plain(404, "404 page not found\n")
        handler, mount = found
        if text := handler.get("Text"):
            return self._plain(200, text)
        if handler.get("Path") or handler.get("Redirect"):
            return self._plain(501, "fake-tailscaled does not simulate Path or Redirect handlers\n")
        if not handler.get("Proxy"):
            return self._plain(500, "empty handler\n")
        if raw_path != "/":
            raw_path = raw_path.removeprefix(mount.rstrip("/"))
        self._proxy(expand_proxy_arg(handler["Proxy"]), raw_path, query, body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline().strip():
                pass  # trailers
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _outbound_headers(self) -> list[tuple[str, str]]:
        session = self.server
        listed = {t.strip().lower() for t in (self.headers.get("Connection") or "").split(",")}
        dropped = _HOP_BY_HOP | _REPLACED | listed | {"content-length"}
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in dropped]
        headers.append(("X-Forwarded-Host", self.headers.get("Host") or ""))
        if session.tls_name:
            headers.append(("X-Forwarded-Proto", "https"))
        headers.append(("X-Forwarded-For", session.peer_ip))
        return headers + session.identity()

    def _proxy(self, target: str, path: str, query: str, body: bytes) -> None:
        url = urlsplit(target)
        if url.scheme != "http":
            logf(f"serve: proxy target {target!r} is not simulated (only http://)")
            return self._bad_gateway()
        # httputil's SetURL: join the paths with one slash, append the queries.
        path = url.path if not path and url.path else _join_paths(url.path, path)
        query = "&".join(q for q in (url.query, query) if q)
        uri = path + (f"?{query}" if query else "")
        headers = self._outbound_headers()
        for fresh in (False, True):
            upstream = self.server.upstream(url.netloc, fresh)
            try:
                upstream.putrequest(self.command, uri, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    upstream.putheader(name, value)
                if body or self.command in ("POST", "PUT", "PATCH"):
                    upstream.putheader("Content-Length", str(len(body)))
                upstream.endheaders(body or None)
                response = upstream.getresponse()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                if fresh:
                    return self._bad_gateway()
            except OSError as err:
                logf(f"http: proxy error: {err}")
                self.server.drop(url.netloc)
                return self._bad_gateway()
        self._relay(response)
        if response.will_close:
            self.server.drop(url.netloc)

    def _relay(self, response: http.client.HTTPResponse) -> None:
        listed = {t.strip().lower() for t in (response.getheader("Connection") or "").split(",")}
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in _HOP_BY_HOP | listed:
                self.send_header(name, value)
        no_body = self.command == "HEAD" or response.status in (204, 304) or response.status < 200
        chunked = not no_body and response.getheader("Content-Length") is None
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        while not no_body and (data := response.read1(65536)):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        response.read()

    def _bad_gateway(self) -> None:
        self.send_response_only(502)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _join_paths(a: str, b: str) -> str:
    if a.endswith("/") and b.startswith("/"):
        return a + b[1:]
    if not a.endswith("/") and not b.startswith("/"):
        return a + "/" + b
    return a + b


def _find_handler(handlers: dict, path: str) -> tuple[dict, str] | None:
    """getServeHandler: the exact path, else the nearest mount point above it."""
    if path in handlers:
        return handlers[path] or {}, path
    if not path.startswith("/"):
        return None
    current = posixpath.normpath("/" + path.lstrip("/"))
    while True:
        for mount in (current + "/", current):
            if mount in handlers:
                return handlers[mount] or {}, mount
        if current == "/":
            return None
        current = posixpath.dirname(current)
