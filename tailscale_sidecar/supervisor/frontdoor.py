"""The HTTPS front door: tailscaled's serve config for https://<node>.<tailnet>.ts.net/.

When the tailnet offers certificates (`CertDomains` in status) and the owner
wants HTTPS, port 443 on the node terminates TLS for its name and proxies to
the web server (`servepath.proxy_target`). Level-triggered like the prefs:
every reconcile of a Running node reads the serve config with its ETag and
writes it back, `If-Match` that ETag, only when it differs from what is
wanted. Someone else's changes in between get a 412, and the next look
starts from what they wrote.

The config is shared with whoever else uses `tailscale serve` on the node, so
`plan_serve` only adds and removes the handlers this app writes (recognised by
their proxy target), keeps every other port, name and path, and says what it
kept. It never takes over `/` on the node's name or port 443 from another
handler: the front door then reports why it is not there.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import Any

from tailscale_sidecar import servepath
from tailscale_sidecar.localapi import LocalAPIClient, LocalAPIError, PreconditionFailed, Status

log = logging.getLogger(__name__)

HTTPS_PORT = 443


@dataclass(frozen=True)
class ServePlan:
    config: dict[str, Any] | None  # the whole config to write; None: leave it as it is
    https_url: str  # the front door's URL once `config` (or the current one) is in place
    error: str  # why there is no front door although one is wanted
    kept: tuple[str, ...] = ()  # what others serve, left in place


def cert_name(status: Status) -> str:
    """The name to serve: the node's own MagicDNS name, when the tailnet has a cert for it."""
    dns_name = status.self_node.dns_name.rstrip(".").lower()
    domains = [domain.rstrip(".").lower() for domain in status.cert_domains]
    return dns_name if dns_name and dns_name in domains else ""


def plan_serve(current: dict[str, Any], name: str, target: str) -> ServePlan:
    """The config with the front door for `name` (none when `name` is ""), others kept."""
    config = copy.deepcopy(current)
    web: dict[str, Any] = config.get("Web") or {}
    tcp: dict[str, Any] = config.get("TCP") or {}
    host_port = f"{name}:{HTTPS_PORT}"
    kept = _others(web, tcp)
    error = ""
    if name:
        error = _conflict(web.get(host_port), tcp.get(str(HTTPS_PORT)), host_port)
    # Ours elsewhere (an old name, or the same name no longer wanted) goes.
    for key, server in list(web.items()):
        handlers = (server or {}).get("Handlers") or {}
        for mount, handler in list(handlers.items()):
            ours = servepath.is_front_door_target((handler or {}).get("Proxy", ""))
            if ours and (key != host_port or mount != "/" or not name or error):
                del handlers[mount]
        if not handlers:
            del web[key]
    if name and not error:
        handlers = web.setdefault(host_port, {}).setdefault("Handlers", {})
        handlers["/"] = {"Proxy": target}
        tcp[str(HTTPS_PORT)] = {"HTTPS": True}
    elif tcp.get(str(HTTPS_PORT)) == {"HTTPS": True} and not any(
        key.endswith(f":{HTTPS_PORT}") for key in web
    ):
        del tcp[str(HTTPS_PORT)]  # nothing is served on it any more
    _set_or_drop(config, "Web", web)
    _set_or_drop(config, "TCP", tcp)
    https_url = f"https://{name}/" if name and not error else ""
    return ServePlan(None if config == current else config, https_url, error, kept)


def _conflict(server: dict[str, Any] | None, port: dict[str, Any] | None, host_port: str) -> str:
    root = ((server or {}).get("Handlers") or {}).get("/")
    if root and not servepath.is_front_door_target(root.get("Proxy", "")):
        return (
            f"https://{host_port.removesuffix(f':{HTTPS_PORT}')}/ is already served by another "
            f"serve config ({_describe(root)}); it was left as it is"
        )
    if port and not port.get("HTTPS"):
        return (
            f"port {HTTPS_PORT} of this node is already used by another serve config "
            f"({_describe(port)}); it was left as it is"
        )
    return ""


def _describe(handler: dict[str, Any]) -> str:
    for key in ("Proxy", "TCPForward", "Path", "Text", "Redirect"):
        if handler.get(key):
            return f"{key} {handler[key]}" if key != "Text" else "a text handler"
    return "HTTP" if handler.get("HTTP") else "a handler"


def _others(web: dict[str, Any], tcp: dict[str, Any]) -> tuple[str, ...]:
    """What others serve: ports other than ours, and paths on any name."""
    kept = [f"port {port}" for port in sorted(tcp) if port != str(HTTPS_PORT)]
    for key, server in sorted(web.items()):
        for mount, handler in sorted(((server or {}).get("Handlers") or {}).items()):
            if not servepath.is_front_door_target((handler or {}).get("Proxy", "")):
                kept.append(f"{key}{mount}")
    return tuple(kept)


def _set_or_drop(config: dict[str, Any], key: str, value: dict[str, Any]) -> None:
    if value:
        config[key] = value
    else:
        config.pop(key, None)


def reconcile_front_door(
    client: LocalAPIClient, status: Status, wanted: bool, port: int
) -> dict[str, Any]:
    """Make the serve config match; returns the ObservedStatus fields (https_url, https_error).

    Raises LocalAPIError when tailscaled can't be asked; a refused write is reported.
    """
    name = cert_name(status) if wanted else ""
    target = servepath.proxy_target(port)
    for attempt in (1, 2):
        current, etag = client.serve_config()
        plan = plan_serve(current, name, target)
        if plan.config is None:
            return {"https_url": plan.https_url, "https_error": plan.error}
        try:
            client.set_serve_config(plan.config, etag)
        except PreconditionFailed:
            log.info("the serve config changed while it was being updated; reading it again")
            if attempt == 2:
                return {}  # the next reconcile looks again
            continue
        except LocalAPIError as exc:
            log.warning("tailscaled refused the serve config: %s", exc)
            return {"https_url": "", "https_error": f"tailscaled refused the serve config: {exc}"}
        if plan.https_url:
            log.info("HTTPS front door at %s", plan.https_url)
        else:
            log.info("HTTPS front door removed")
        if plan.kept:
            log.info("serve config: kept what others serve: %s", ", ".join(plan.kept))
        return {"https_url": plan.https_url, "https_error": plan.error}
    return {}
