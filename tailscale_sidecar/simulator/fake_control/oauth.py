"""OAuth clients and the two API v2 calls `tailscale up` makes with one.

  POST /admin/api/oauth-clients {"tags": [...]}  -> {"client_id", "client_secret"}
  GET  /admin/api/oauth-clients                  -> [{"client_id", "tags", "keys_minted"}]
  POST /api/v2/oauth/token  (form: client_secret, client_id optional)
       -> {"access_token", "token_type", "expires_in"} | 401 {"error", "error_description"}
  POST /api/v2/tailnet/-/keys  (Bearer token)
       {"capabilities": {"devices": {"create": {...}}}, "expirySeconds"}
       -> {"key", "id", "created", "expires", "capabilities"} | 400/401/403 {"message"}

A client may mint keys only with the tags it was given: the simulator's
stand-in for the tagOwners check. Keys come from Tailnet.create_key, so they
behave like every other auth key (one-off, ephemeral, preauthorized, tags).
Access tokens live in memory only: a restarted control forgets them.
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from .tailnet import _hash_secret, _random_id, now, rfc3339

if TYPE_CHECKING:
    from .server import ControlHandler

TOKEN_LIFETIME = 3600
_CAPABILITIES = ("reusable", "ephemeral", "preauthorized", "tags")
_KEYS_PATH = re.compile(r"^/api/v2/tailnet/[^/]+/keys$")
_tokens: dict[str, tuple[str, float]] = {}  # access token -> (client id, expiry)
_tokens_lock = threading.Lock()


def handle(handler: ControlHandler) -> bool:
    """Serve the request if it is one of the paths above; False leaves it to the caller."""
    path = handler.path
    if path == "/admin/api/oauth-clients":
        if handler.command == "GET":
            handler._json(200, _list_clients(handler))
        else:
            handler._json(200, _create_client(handler, handler._body()))
        return True
    if handler.command != "POST":
        return False
    if path == "/api/v2/oauth/token":
        _token(handler)
        return True
    if _KEYS_PATH.match(path):
        _create_key(handler)
        return True
    return False


def _clients(handler: ControlHandler) -> dict:
    return handler.tailnet.data.setdefault("oauth_clients", {})


def _create_client(handler: ControlHandler, body: dict) -> dict:
    client_id = f"k{_random_id(10)}CNTRL"
    secret = _random_id(32)
    tailnet = handler.tailnet
    with tailnet.changed:
        _clients(handler)[client_id] = {
            "secret_sha256": _hash_secret(secret),
            "tags": sorted(set(body.get("tags") or [])),
            "keys_minted": 0,
        }
        tailnet._commit()
    return {"client_id": client_id, "client_secret": f"tskey-client-{client_id}-{secret}"}


def _list_clients(handler: ControlHandler) -> list[dict]:
    with handler.tailnet.changed:
        return [
            {"client_id": cid, "tags": c["tags"], "keys_minted": c["keys_minted"]}
            for cid, c in _clients(handler).items()
        ]


def _form(handler: ControlHandler) -> dict[str, str]:
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length).decode() if length else ""
    form = {k: v[0] for k, v in parse_qs(raw).items()}
    auth = handler.headers.get("Authorization", "")
    if auth.startswith("Basic "):
        user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        form.setdefault("client_id", user)
        form.setdefault("client_secret", password)
    return form


def _token(handler: ControlHandler) -> None:
    form = _form(handler)
    secret = form.get("client_secret", "")
    client_id, _, rest = secret.removeprefix("tskey-client-").partition("CNTRL-")
    client_id += "CNTRL"
    with handler.tailnet.changed:
        client = _clients(handler).get(client_id)
    id_given = form.get("client_id")
    if (
        not secret.startswith("tskey-client-")
        or client is None
        or client["secret_sha256"] != _hash_secret(rest)
        or (id_given and id_given != client_id)
    ):
        return handler._json(
            401, {"error": "invalid_client", "error_description": "client authentication failed"}
        )
    token = secrets.token_hex(16)
    with _tokens_lock:
        _tokens[token] = (client_id, time.monotonic() + TOKEN_LIFETIME)
    handler._json(
        200, {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME}
    )


def _create_key(handler: ControlHandler) -> None:
    token = handler.headers.get("Authorization", "").removeprefix("Bearer ")
    with _tokens_lock:
        client_id, expires = _tokens.get(token, ("", 0.0))
    if not client_id or expires < time.monotonic():
        return handler._json(401, {"message": "API token invalid"})
    body = handler._body()
    create = body.get("capabilities", {}).get("devices", {}).get("create", {})
    tags = sorted(set(create.get("tags") or []))
    tailnet = handler.tailnet
    with tailnet.changed:
        client = _clients(handler)[client_id]
        allowed = client["tags"]
    if not tags:
        return handler._json(400, {"message": "tags are required for keys made by an OAuth client"})
    refused = [tag for tag in tags if tag not in allowed]
    if refused:
        message = f"requested tags [{', '.join(refused)}] are invalid or not permitted"
        return handler._json(403, {"message": message})
    expiry = int(body.get("expirySeconds") or 90 * 86400)
    spec = {
        "reusable": bool(create.get("reusable")),
        "ephemeral": bool(create.get("ephemeral")),
        "preauthorized": bool(create.get("preauthorized")),
        "tags": tags,
        "expiry_seconds": expiry,
    }
    made = tailnet.create_key(spec)
    with tailnet.changed:
        client["keys_minted"] += 1
        tailnet._commit()
    handler._json(
        200,
        {
            **made,
            "created": rfc3339(now()),
            "expires": tailnet.data["keys"][made["id"]]["expires"],
            "capabilities": {"devices": {"create": {k: spec[k] for k in _CAPABILITIES}}},
        },
    )
