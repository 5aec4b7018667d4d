"""HTTP front of the fake control server: consent pages, admin API, machine protocol.

The machine protocol is the simulator's own JSON over HTTP (the real one is
Noise-encrypted): fake-tailscaled is its only client.
  POST /machine/register   {machine_key, node_key, hostname, auth_key, ephemeral, request_tags}
                           -> {"auth_url"} | {"node_id"} | {"error"}
  POST /machine/wait-auth  {auth_url}          long-poll -> {"node_id"} | {"pending": true}
  POST /machine/map        {node_key, hostname, since, ingress_port}  long-poll -> netmap | 401
  POST /machine/logout     {node_key}          -> {} | 401
  POST /machine/exit-dial  {node_key, exit, dest}   -> {"address": "127.0.0.1:P"} | {"error"} | 401
                           the exit node's side of a connection to dest ("host:port"): the next
                           connection to the address is relayed there (dataplane.py)
OAuth clients and the API v2 token and keys calls: oauth.py.
"""

from __future__ import annotations

import html
import json
import re
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ..peer import PeerProxy
from . import dataplane, oauth
from .tailnet import AdminError, ExitDialError, RegisterError, Tailnet

MAP_POLL_SECONDS = 25.0
_AUTH_PATH = re.compile(r"^/a/([0-9a-f]+)$")
_NODE_PATH = re.compile(
    r"^/admin/api/nodes/([A-Za-z0-9]+)(/approve|/expire|/connect|/proxy|/online)?$"
)
CA_PATH = Path(__file__).resolve().parent.parent / "certs" / "ca.pem"

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:4rem auto}}
.note{{color:#555;background:#f3f3f3;padding:.5rem}}</style></head>
<body><h1>{title}</h1>{body}
<p class="note">Simulated tailnet: this page is served by fake-tailscale-control.</p>
</body></html>
"""


class ControlServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], tailnet: Tailnet) -> None:
        self.tailnet = tailnet
        # One HTTP proxy per device that asked (`/admin/api/nodes/<id>/proxy`).
        self.proxies: dict[str, PeerProxy] = {}
        self.proxies_lock = threading.Lock()
        super().__init__(address, ControlHandler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def handle_error(self, request: object, client_address: object) -> None:
        """A node killed mid-poll drops its connection: routine here, not a traceback."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError):
            return
        super().handle_error(request, client_address)


class ControlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ControlServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests read the daemon's logs, not control's access log."""

    # --- plumbing ----------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: object) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _page(self, status: int, title: str, body: str) -> None:
        page = _PAGE.format(title=title, body=body).encode()
        self._send(status, page, "text/html; charset=utf-8")

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            return {}

    @property
    def tailnet(self) -> Tailnet:
        return self.server.tailnet

    # --- routing -----------------------------------------------------------
    def do_GET(self) -> None:
        if oauth.handle(self):
            return None
        if self.path == "/healthz":
            return self._send(200, b"ok", "text/plain; charset=utf-8")
        if self.path == "/admin/api/nodes":
            return self._json(200, self.tailnet.admin_nodes())
        if self.path == "/admin/api/auth-urls":
            return self._json(200, self._pending_auth_urls())
        if self.path == "/admin/api/ca.pem":
            return self._send(200, CA_PATH.read_bytes(), "application/x-pem-file")
        if (match := _NODE_PATH.match(self.path)) and match.group(2) is None:
            return self._admin_node(self.tailnet.node(match.group(1)))
        if match := _AUTH_PATH.match(self.path):
            return self._consent_page(match.group(1))
        self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        if oauth.handle(self):
            return None
        body = self._body()
        if self.path.startswith("/machine/"):
            return self._machine(self.path, body)
        if match := _AUTH_PATH.match(self.path):
            return self._consent(match.group(1))
        if self.path == "/admin/api/keys":
            return self._json(200, self.tailnet.create_key(body))
        if self.path == "/admin/api/settings":
            return self._json(200, self.tailnet.update_settings(body))
        try:
            if self.path == "/admin/api/users":
                return self._json(200, self.tailnet.add_user(body))
            if self.path == "/admin/api/devices":
                return self._json(200, self.tailnet.add_device(body))
        except AdminError as err:
            return self._json(400, {"error": str(err)})
        if (match := _NODE_PATH.match(self.path)) and match.group(2) == "/connect":
            return self._connect(match.group(1), body)
        if (match := _NODE_PATH.match(self.path)) and match.group(2) == "/proxy":
            return self._proxy(match.group(1))
        if (match := _NODE_PATH.match(self.path)) and match.group(2) == "/online":
            return self._set_online(match.group(1), body)
        if (match := _NODE_PATH.match(self.path)) and match.group(2):
            action = self.tailnet.approve if match.group(2) == "/approve" else self.tailnet.expire
            return self._admin_node(action(match.group(1)))
        self._json(404, {"error": "not found"})

    def do_DELETE(self) -> None:
        match = _NODE_PATH.match(self.path)
        if match and match.group(2) is None and self.tailnet.delete(match.group(1)):
            return self._json(200, {})
        self._json(404, {"error": "node not found"})

    # --- admin -------------------------------------------------------------
    def _admin_node(self, node: dict | None) -> None:
        if node is None:
            return self._json(404, {"error": "node not found"})
        with self.tailnet.changed:
            self._json(200, self.tailnet.admin_node(node))

    def _connect(self, from_id: str, body: dict) -> None:
        """A loopback address whose next connection is `from_id` reaching `to` on `port`."""
        port = body.get("port")
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            return self._json(400, {"error": '"port" must be a TCP port number'})
        with self.tailnet.changed:
            source = self.tailnet.node(from_id)
            target = self.tailnet.node(str(body.get("to") or ""))
            if source is None or target is None:
                return self._json(404, {"error": "node not found"})
            ingress = self.tailnet.ingress_port(target)
            generation = self.tailnet.generation
        if ingress is None:
            return self._json(409, {"error": f"node {target['id']} has no running daemon"})
        header = {"from": source["id"], "port": port, "generation": generation}
        self._json(200, {"address": dataplane.open_connection(ingress, header)})

    def _set_online(self, device_id: str, body: dict) -> None:
        """Take a device offline or back online: every netmap shows it."""
        online = body.get("online")
        if not isinstance(online, bool):
            return self._json(400, {"error": '"online" must be true or false'})
        try:
            node = self.tailnet.set_online(device_id, online)
        except AdminError as err:
            return self._json(400, {"error": str(err)})
        self._admin_node(node)

    def _proxy(self, device_id: str) -> None:
        """An HTTP proxy on loopback through which every connection is this device's."""
        if self.tailnet.node(device_id) is None:
            return self._json(404, {"error": "node not found"})
        with self.server.proxies_lock:
            proxy = self.server.proxies.get(device_id)
            if proxy is None:
                proxy = self.server.proxies[device_id] = PeerProxy(self.server.base_url, device_id)
        self._json(200, {"proxy": proxy.url})

    def _pending_auth_urls(self) -> list[dict]:
        with self.tailnet.changed:
            logins = list(self.tailnet.data["logins"].items())
        return [
            {
                "url": f"{self.server.base_url}/a/{code}",
                "hostname": login["request"].get("hostname"),
            }
            for code, login in logins
            if login["node"] is None
        ]

    # --- consent -----------------------------------------------------------
    def _consent_page(self, code: str) -> None:
        login = self.tailnet.login(code)
        if login is None:
            return self._page(404, "Not found", "<p>This login link is unknown or has expired.</p>")
        hostname = html.escape(login["request"].get("hostname") or "device")
        if login["node"]:
            return self._page(200, "Device connected", f"<p><b>{hostname}</b> is connected.</p>")
        form = (
            f"<p>Connect <b>{hostname}</b> to the tailnet "
            f"<b>{html.escape(self.tailnet.name)}</b>?</p>"
            f'<form method="post" action="/a/{code}"><button type="submit">Connect</button></form>'
        )
        self._page(200, "Tailscale — Connect device", form)

    def _consent(self, code: str) -> None:
        login = self.tailnet.consent(code)
        if login is None:
            return self._page(404, "Not found", "<p>This login link is unknown or has expired.</p>")
        hostname = html.escape(login["request"].get("hostname") or "device")
        self._page(200, "Device connected", f"<p><b>{hostname}</b> is connected.</p>")

    # --- machine protocol --------------------------------------------------
    def _machine(self, path: str, body: dict) -> None:
        if self.tailnet.setting("offline"):
            # Like an unreachable server: no answer at all.
            self.close_connection = True
            return
        if path == "/machine/register":
            try:
                result = self.tailnet.register(body)
            except RegisterError as err:
                return self._json(200, {"error": str(err)})
            if "auth_code" in result:
                result = {"auth_url": f"{self.server.base_url}/a/{result['auth_code']}"}
            return self._json(200, result)
        if path == "/machine/wait-auth":
            code = str(body.get("auth_url", "")).rsplit("/", 1)[-1]
            node_id = self.tailnet.wait_login(code, float(body.get("timeout", MAP_POLL_SECONDS)))
            return self._json(200, {"node_id": node_id} if node_id else {"pending": True})
        if path == "/machine/map":
            netmap = self.tailnet.poll(
                str(body.get("node_key", "")),
                str(body.get("hostname", "")),
                int(body.get("since", -1)),
                float(body.get("timeout", MAP_POLL_SECONDS)),
                int(body.get("ingress_port") or 0),
                list(body.get("request_tags") or []),
            )
            if netmap is None:
                return self._json(HTTPStatus.UNAUTHORIZED, {"error": "node not found"})
            return self._json(200, netmap)
        if path == "/machine/exit-dial":
            return self._exit_dial(body)
        if path == "/machine/logout":
            if self.tailnet.logout(str(body.get("node_key", ""))):
                return self._json(200, {})
            return self._json(HTTPStatus.UNAUTHORIZED, {"error": "node not found"})
        self._json(404, {"error": "not found"})

    def _exit_dial(self, body: dict) -> None:
        """A node's connection to the internet, out through the exit node it chose."""
        dest = str(body.get("dest") or "")
        try:
            host, port = dataplane.split_host_port(dest)
        except ValueError as err:
            return self._json(400, {"error": str(err)})
        try:
            known = self.tailnet.exit_dial(
                str(body.get("node_key", "")), str(body.get("exit") or ""), dest
            )
        except ExitDialError as err:
            return self._json(200, {"error": str(err)})
        if not known:
            return self._json(HTTPStatus.UNAUTHORIZED, {"error": "node not found"})
        self._json(200, {"address": dataplane.open_exit_connection(host, port)})
