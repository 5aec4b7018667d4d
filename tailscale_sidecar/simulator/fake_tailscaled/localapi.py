"""The LocalAPI: HTTP/1.1 over the unix socket, with tailscaled's guards and shapes.

Requests other than /server-status wait until the backend is ready (they
block, they are not refused). Write access follows SO_PEERCRED: root or the
daemon's own uid.
"""

from __future__ import annotations

import json
import os
import queue
import select
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

from . import bus, serve
from .backend import NEEDS_LOGIN, Backend, BackendError, ETagMismatch
from .prefs import PrefsError, check
from .status import WhoisError, build_status, user_metrics, whois

CAPABILITY_VERSION = 142
_ALLOWED_HOSTS = ("", "local-tailscaled.sock")
_CSP = (
    "default-src 'none'; frame-ancestors 'none'; script-src 'none'; "
    "script-src-elem 'none'; script-src-attr 'none'"
)


class LocalAPIServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, backend_holder: BackendHolder, version: str) -> None:
        self.holder = backend_holder
        self.version = version
        # Fault injection: once set, no request is ever answered again.
        self.hung = threading.Event()
        # How long `start` takes (the real one first shuts the old control
        # client down, up to ~5 s), and whether /server-status is missing
        # (404, as in builds without the debug feature).
        self.start_delay = 0.0
        self.no_server_status = False
        super().__init__(path, LocalAPIHandler)


class BackendHolder:
    """The backend appears only after the (optionally delayed) start-up."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.backend: Backend | None = None

    def set(self, backend: Backend) -> None:
        self.backend = backend
        self.ready.set()


class LocalAPIHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LocalAPIServer

    def log_message(self, format: str, *args: object) -> None:
        """tailscaled does not log LocalAPI requests."""

    def send_response(self, code: int, message: str | None = None) -> None:
        # Like Go's net/http: a Date header, no Server header.
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def parse_request(self) -> bool:
        # Checked per request, so pooled keep-alive connections hang too.
        self._hang_if_asked()
        return super().parse_request()

    def _hang_if_asked(self) -> None:
        if self.server.hung.is_set():
            threading.Event().wait()

    # --- responses ---------------------------------------------------------
    def _headers(self, status: int, content_type: str, length: int | None, etag: str = "") -> None:
        self.send_response(status)
        if etag:
            self.send_header("Etag", etag)
        self.send_header("Tailscale-Version", self.server.version)
        self.send_header("Tailscale-Cap", str(CAPABILITY_VERSION))
        self.send_header("Content-Security-Policy", _CSP)
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("X-Content-Type-Options", "nosniff")
        if content_type:
            self.send_header("Content-Type", content_type)
        if status == 204:
            pass  # Go sends neither a length nor a body with 204
        elif length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def _reply(self, status: int, body: bytes = b"", content_type: str = "") -> None:
        self._headers(status, content_type, len(body))
        self.wfile.write(body)

    def _text(self, status: int, message: str) -> None:
        self._reply(status, f"{message}\n".encode(), "text/plain; charset=utf-8")

    def _json(self, status: int, payload: object, *, indent: bool = False) -> None:
        if indent:
            body = json.dumps(payload, indent="\t") + "\n"
        else:
            body = json.dumps(payload, separators=(",", ":")) + "\n"
        self._reply(status, body.encode(), "application/json")

    # --- request plumbing --------------------------------------------------
    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _peer_uid(self) -> int:
        creds = self.request.getsockopt(
            socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
        )
        _pid, uid, _gid = struct.unpack("3i", creds)
        return uid

    def _can_write(self) -> bool:
        return self._peer_uid() in (0, os.getuid())

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        body = self._read_body()
        path, _, query_string = self.path.partition("?")
        query = {k: v[-1] for k, v in parse_qs(query_string, keep_blank_values=True).items()}
        if path == "/server-status" and not self.server.no_server_status:
            if self.server.holder.ready.is_set():
                return self._reply(200, b"{}", "application/json")
            return self._reply(503, b'{"error":"backend not ready"}', "application/json")
        if not path.startswith("/localapi/"):
            return self._text(404, "404 page not found")
        if self.headers.get("Host", "") not in _ALLOWED_HOSTS:
            return self._text(403, "invalid localapi request")
        if self.headers.get("Referer") or self.headers.get("Origin"):
            return self._text(403, "invalid localapi request")
        self.server.holder.ready.wait()
        handler = ROUTES.get(path.removeprefix("/localapi/v0/"))
        if handler is None:
            return self._text(404, "404 page not found")
        handler(self, method, query, body)

    @property
    def backend(self) -> Backend:
        backend = self.server.holder.backend
        assert backend is not None  # _dispatch waited for readiness
        return backend

    # --- endpoints ---------------------------------------------------------
    def status(self, method: str, query: dict, body: bytes) -> None:
        peers = query.get("peers", "true") != "false"
        self._json(200, build_status(self.backend, peers=peers), indent=True)

    def prefs(self, method: str, query: dict, body: bytes) -> None:
        if method == "GET":
            with self.backend.lock:
                return self._json(200, self.backend.prefs_view(), indent=True)
        if method != "PATCH":
            return self._text(405, "unsupported method")
        if not self._can_write():
            return self._text(403, "prefs write access denied")
        try:
            masked = json.loads(body)
            if not isinstance(masked, dict):
                raise PrefsError("json: cannot unmarshal into Go value of type ipn.MaskedPrefs")
            new = self.backend.patch_prefs(masked)
        except (ValueError, PrefsError) as err:
            return self._json(400, {"Error": str(err)})
        self._json(200, new, indent=True)

    def check_prefs(self, method: str, query: dict, body: bytes) -> None:
        if method != "POST":
            return self._text(405, "unsupported method")
        if not self._can_write():
            return self._text(403, "access denied")
        try:
            candidate = json.loads(body)
        except ValueError as err:
            return self._text(400, str(err))
        try:
            check(candidate if isinstance(candidate, dict) else {})
        except PrefsError as err:
            return self._json(200, {"Error": str(err)})
        self._json(200, {})

    def _write_action(self, method: str, denied: str, action: Callable[[], None]) -> None:
        if method != "POST":
            return self._text(400, "want POST")
        if not self._can_write():
            return self._text(403, denied)
        try:
            action()
        except BackendError as err:
            return self._text(err.status, str(err))
        self._reply(204)

    def start(self, method: str, query: dict, body: bytes) -> None:
        try:
            options = json.loads(body) if method == "POST" else {}
        except ValueError as err:
            return self._text(400, str(err))

        def slow_start() -> None:
            time.sleep(self.server.start_delay)
            self.backend.start(options or {})

        self._write_action(method, "access denied", slow_start)

    def login_interactive(self, method: str, query: dict, body: bytes) -> None:
        self._write_action(method, "login access denied", self.backend.login_interactive)

    def logout(self, method: str, query: dict, body: bytes) -> None:
        self._write_action(method, "logout access denied", self.backend.logout)

    def reset_auth(self, method: str, query: dict, body: bytes) -> None:
        self._write_action(method, "reset-auth access denied", self.backend.reset_auth)

    def whois(self, method: str, query: dict, body: bytes) -> None:
        try:
            result = whois(self.backend, query.get("addr", ""))
        except WhoisError as err:
            return self._text(err.status, str(err))
        self._json(200, result, indent=True)

    def serve_config(self, method: str, query: dict, body: bytes) -> None:
        if method == "GET":
            config = self.backend.serve_config()
            encoded = serve.encode(config)
            self._headers(200, "application/json", len(encoded), etag=serve.etag(config))
            self.wfile.write(encoded)
            return None
        if method != "POST":
            return self._text(405, "method not allowed")
        if not self._can_write():
            return self._text(403, "serve config denied")
        try:
            config = serve.normalize(body)
        except serve.ServeConfigError as err:
            return self._json(500, {"error": f"decoding config: {err}"})
        if serve.needs_local_admin(config) and self._peer_uid() != 0:
            return self._text(
                401,
                "must be root, or be an operator and able to run 'sudo tailscale' "
                "to serve a path or Unix socket",
            )
        try:
            self.backend.set_serve_config(config, self.headers.get("If-Match", ""))
        except ETagMismatch as err:
            return self._text(412, str(err))
        except serve.ServeConfigError as err:
            return self._json(500, {"error": f"updating config: {err}"})
        self._reply(200)

    def usermetrics(self, method: str, query: dict, body: bytes) -> None:
        text = user_metrics(self.backend).encode()
        self._reply(200, text, "text/plain; version=0.0.4; charset=utf-8")

    def watch_ipn_bus(self, method: str, query: dict, body: bytes) -> None:
        try:
            mask = bus.parse_mask(query.get("mask", "0"))
        except bus.BadMask as err:
            return self._text(400, str(err))
        backend = self.backend
        watcher = bus.Watcher(mask)
        with backend.lock:
            # Registered under the lock, so nothing between snapshot and stream is lost.
            backend.bus.add(watcher)
            snapshot = self._snapshot(backend, watcher)
        self.close_connection = True
        try:
            self._headers(200, "application/json", None)
            self.wfile.flush()
            if snapshot:
                self._chunk(bus.notify(backend.version, **snapshot))
            self._stream(watcher)
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the watcher went away
        finally:
            backend.bus.remove(watcher)

    def _snapshot(self, backend: Backend, watcher: bus.Watcher) -> dict:
        mask = watcher.mask
        fields: dict = {}
        if mask & bus.INITIAL_STATE:
            fields["SessionID"] = watcher.session_id
            fields["State"] = backend.state
            if backend.state == NEEDS_LOGIN and backend.auth_url:
                fields["BrowseToURL"] = backend.auth_url
        if mask & bus.INITIAL_PREFS:
            fields["Prefs"] = backend.prefs_view()
        if mask & bus.INITIAL_NETMAP and backend.netmap:
            nm = backend.netmap
            fields["NetMap"] = {
                "SelfNode": nm["node"],
                "Peers": nm["peers"],
                "Domain": nm["domain"],
            }
        if mask & bus.INITIAL_HEALTH_STATE:
            fields["Health"] = backend.health_state()
        if mask & bus.INITIAL_STATUS:
            fields["InitialStatus"] = build_status(backend)
        return fields

    def _chunk(self, message: dict) -> None:
        self._hang_if_asked()
        line = json.dumps(message, separators=(",", ":")).encode() + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
        self.wfile.flush()

    def _stream(self, watcher: bus.Watcher) -> None:
        while True:
            try:
                message = watcher.messages.get(timeout=1.0)
            except queue.Empty:
                if self._client_gone():
                    return
                continue
            if message is None:
                return
            self._chunk(message)

    def _client_gone(self) -> bool:
        readable, _, _ = select.select([self.request], [], [], 0)
        return bool(readable) and self.request.recv(1, socket.MSG_PEEK) == b""


ROUTES: dict[str, Callable[[LocalAPIHandler, str, dict, bytes], None]] = {
    "status": LocalAPIHandler.status,
    "prefs": LocalAPIHandler.prefs,
    "check-prefs": LocalAPIHandler.check_prefs,
    "start": LocalAPIHandler.start,
    "login-interactive": LocalAPIHandler.login_interactive,
    "logout": LocalAPIHandler.logout,
    "reset-auth": LocalAPIHandler.reset_auth,
    "whois": LocalAPIHandler.whois,
    "serve-config": LocalAPIHandler.serve_config,
    "usermetrics": LocalAPIHandler.usermetrics,
    "watch-ipn-bus": LocalAPIHandler.watch_ipn_bus,
}
