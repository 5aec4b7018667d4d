"""ServeConfig as tailscaled holds it (ipn/serve.go, ipn/ipnlocal/serve.go).

tailscaled decodes a posted config into its Go struct and stores what it
re-encodes, so unknown keys vanish, field names match case-insensitively,
map keys come out sorted and empty fields are omitted. The ETag is the hex
SHA-256 of that encoding (`null` when nothing is configured). `normalize`
does the same decode/re-encode with a small schema of the Go types.
"""

from __future__ import annotations

import hashlib
import json

# Kinds: "bool", "string", "int", "[string]", ("map", key, value), ("ptr", struct name).
# Each struct lists (field, kind, omitted when empty).
_STRUCTS: dict[str, list[tuple[str, object, bool]]] = {
    "ServeConfig": [
        ("TCP", ("map", "uint16", ("ptr", "TCPPortHandler")), True),
        ("Web", ("map", "string", ("ptr", "WebServerConfig")), True),
        ("Services", ("map", "string", ("ptr", "ServiceConfig")), True),
        ("AllowFunnel", ("map", "string", "bool"), True),
        ("Foreground", ("map", "string", ("ptr", "ServeConfig")), True),
    ],
    "ServiceConfig": [
        ("TCP", ("map", "uint16", ("ptr", "TCPPortHandler")), True),
        ("Web", ("map", "string", ("ptr", "WebServerConfig")), True),
        ("Tun", "bool", True),
    ],
    "WebServerConfig": [("Handlers", ("map", "string", ("ptr", "HTTPHandler")), False)],
    "TCPPortHandler": [
        ("HTTPS", "bool", True),
        ("HTTP", "bool", True),
        ("TCPForward", "string", True),
        ("TerminateTLS", "string", True),
        ("ProxyProtocol", "int", True),
    ],
    "HTTPHandler": [
        ("Path", "string", True),
        ("Proxy", "string", True),
        ("Text", "string", True),
        ("AcceptAppCaps", "[string]", True),
        ("Redirect", "string", True),
    ],
}
_ZERO = {"bool": False, "string": "", "int": 0, "[string]": None}
_JSON_NAMES = {bool: "bool", str: "string", int: "number", float: "number", list: "array"}


class ServeConfigError(Exception):
    """A config tailscaled refuses; the LocalAPI adds its own prefix."""


def _type_error(value: object, where: str, go_type: str) -> ServeConfigError:
    got = "object" if isinstance(value, dict) else _JSON_NAMES.get(type(value), "value")
    return ServeConfigError(
        f"json: cannot unmarshal {got} into Go struct field {where} of type {go_type}"
    )


def _decode(value: object, kind: object, where: str) -> object:
    if value is None:
        return _ZERO.get(kind) if isinstance(kind, str) else None  # type: ignore[arg-type]
    if kind == "bool":
        if not isinstance(value, bool):
            raise _type_error(value, where, "bool")
        return value
    if kind == "string":
        if not isinstance(value, str):
            raise _type_error(value, where, "string")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error(value, where, "int")
        return value
    if kind == "[string]":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _type_error(value, where, "[]string")
        return value
    assert isinstance(kind, tuple)
    if kind[0] == "ptr":
        return _decode_struct(value, kind[1])
    _, key_kind, value_kind = kind
    if not isinstance(value, dict):
        raise _type_error(value, where, "map")
    decoded = {}
    for key, item in value.items():
        if key_kind == "uint16":
            if not key.isdigit() or int(key) > 65535:
                raise ServeConfigError(
                    f"json: cannot unmarshal number {key} into Go value of type uint16"
                )
            key = str(int(key))
        decoded[key] = _decode(item, value_kind, where)
    return dict(sorted(decoded.items()))


def _decode_struct(value: object, name: str) -> dict:
    if not isinstance(value, dict):
        raise _type_error(value, name, f"ipn.{name}")
    fields = _STRUCTS[name]
    found: dict[str, object] = {}
    for key, item in value.items():
        match = next((f for f in fields if f[0] == key), None) or next(
            (f for f in fields if f[0].lower() == key.lower()), None
        )
        if match is not None:
            found[match[0]] = _decode(item, match[1], f"{name}.{match[0]}")
    out = {}
    for field, _kind, omit_empty in fields:
        item = found.get(field)
        if omit_empty and item in (None, False, "", 0, {}, []):
            continue
        out[field] = item
    return out


def normalize(raw: bytes) -> dict:
    """The posted body as tailscaled would store it. `null` is an empty config."""
    try:
        value = json.loads(raw)
    except ValueError:
        raise ServeConfigError("EOF" if not raw.strip() else "invalid character in JSON") from None
    return {} if value is None else _decode_struct(value, "ServeConfig")


def encode(config: dict | None) -> bytes:
    """Go's json.Marshal: compact, UTF-8, with <, > and & escaped."""
    text = json.dumps(config, separators=(",", ":"), ensure_ascii=False)
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text.encode()


def etag(config: dict | None) -> str:
    return hashlib.sha256(encode(config)).hexdigest()


def _serve_type(handler: dict | None) -> str:
    handler = handler or {}
    if handler.get("HTTP"):
        return "http"
    if handler.get("HTTPS"):
        return "https"
    if handler.get("TerminateTLS"):
        return "tls-terminated-tcp"
    return "tcp" if handler.get("TCPForward") else "unknownServeType"


def _foreground_tcp(config: dict, port: str) -> dict | None:
    for conf in (config.get("Foreground") or {}).values():
        if port in ((conf or {}).get("TCP") or {}):
            return conf["TCP"][port]
    return None


def find_tcp(config: dict, port: int) -> dict | None:
    """The handler for a port: a foreground session's first, then the background one."""
    key = str(port)
    return _foreground_tcp(config, key) or (config.get("TCP") or {}).get(key)


def find_web(config: dict, host_port: str) -> dict | None:
    for conf in (config.get("Foreground") or {}).values():
        if host_port in ((conf or {}).get("Web") or {}):
            return conf["Web"][host_port]
    return (config.get("Web") or {}).get(host_port)


def validate_update(existing: dict | None, incoming: dict) -> None:
    """validateServeConfigUpdate, for the parts this simulator serves."""
    for name, service in (incoming.get("Services") or {}).items():
        if (service or {}).get("Tun") and (service.get("TCP") or service.get("Web")):
            raise ServeConfigError(
                f"cannot configure TUN mode in combination with TCP or web handlers for {name}"
            )
    if existing is None:
        return
    for session, conf in (incoming.get("Foreground") or {}).items():
        if session not in (existing.get("Foreground") or {}):
            for port in (conf or {}).get("TCP") or {}:
                if find_tcp(existing, int(port)) is not None:
                    raise ServeConfigError(f"listener already exists for port {port}")
    for port, handler in (incoming.get("TCP") or {}).items():
        if _foreground_tcp(existing, port) is not None:
            raise ServeConfigError(f"foreground listener already exists for port {port}")
        old = find_tcp(existing, int(port))
        if old is not None and _serve_type(old) != _serve_type(handler):
            raise ServeConfigError(
                f'want to serve "{_serve_type(handler)}", but port {port} is already '
                f'serving "{_serve_type(old)}"'
            )


def _handlers(config: dict) -> list[dict]:
    webs = [*(config.get("Web") or {}).values()]
    for service in (config.get("Services") or {}).values():
        webs += (service or {}).get("Web", {}).values()
    found = [h or {} for web in webs for h in ((web or {}).get("Handlers") or {}).values()]
    for conf in (config.get("Foreground") or {}).values():
        found += _handlers(conf or {})
    return found


def _tcp_handlers(config: dict) -> list[dict]:
    found = [h or {} for h in (config.get("TCP") or {}).values()]
    for service in (config.get("Services") or {}).values():
        found += [h or {} for h in ((service or {}).get("TCP") or {}).values()]
    for conf in (config.get("Foreground") or {}).values():
        found += _tcp_handlers(conf or {})
    return found


def needs_local_admin(config: dict) -> bool:
    """A path handler or a unix socket target needs root (authorizeServeConfigForGOOS...)."""
    return any(
        h.get("Path") or h.get("Proxy", "").startswith("unix:") for h in _handlers(config)
    ) or any(h.get("TCPForward", "").startswith("unix:") for h in _tcp_handlers(config))


def funnel_on(config: dict) -> bool:
    if any((config.get("AllowFunnel") or {}).values()):
        return True
    return any(funnel_on(conf or {}) for conf in (config.get("Foreground") or {}).values())
