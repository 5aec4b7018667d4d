"""The one status object, shared by the page and `GET /api/v1/tailscale`.

It reads two rows (DesiredConfig and ObservedStatus) and nothing else: the web
never asks tailscaled anything, so the page stays cheap to poll. The phase is
decided here, once: while the supervisor has not applied the latest desired
generation, a click shows as the phase it leads to ("starting", "stopping").
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from ninja import Schema

from tailscale_sidecar.config import EffectiveConfig, effective_config
from tailscale_sidecar.liveness import heartbeat_fresh
from tailscale_sidecar.models import DesiredConfig, ObservedStatus, Phase
from tailscale_sidecar.reachability import reachable_via

TAILSCALE_LOGIN_HOST = "login.tailscale.com"
TAILSCALE_ADMIN_MACHINES = "https://login.tailscale.com/admin/machines"


def login_server(desired: DesiredConfig) -> str:
    """The login server the node uses; empty means Tailscale's own."""
    return effective_config(desired).login_server


def auth_url_allowed(url: str, desired: DesiredConfig) -> bool:
    """Whether an auth URL may be offered as a link.

    The URL comes from tailscaled, which takes it from the login server: only
    Tailscale's own login site or the configured login server are trusted, so a
    tampered status can't send the owner to a look-alike page.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and (
        host == TAILSCALE_LOGIN_HOST or host == "tailscale.com" or host.endswith(".tailscale.com")
    ):
        return not (parts.username or parts.password)
    server = login_server(desired)
    if not server:
        return False
    base = urlsplit(server)
    return (
        parts.scheme == base.scheme
        and parts.netloc.lower() == base.netloc.lower()
        and parts.path.startswith(base.path.rstrip("/") + "/")
    )


def admin_console_url(desired: DesiredConfig) -> str:
    """Where the owner approves devices: Tailscale's console or the login server."""
    return login_server(desired) or TAILSCALE_ADMIN_MACHINES


def supervisor_alive(observed: ObservedStatus, now: datetime) -> bool:
    return heartbeat_fresh(observed.supervisor_heartbeat_at, now)


def split_ips(ips: list[str]) -> tuple[str, str]:
    """The first IPv4 and first IPv6 tailnet address ('' when absent)."""
    v4 = v6 = ""
    for ip in ips:
        try:
            version = ipaddress.ip_address(ip).version
        except ValueError:
            continue
        if version == 4 and not v4:
            v4 = ip
        elif version == 6 and not v6:
            v6 = ip
    return v4, v6


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class OutboundProxyStatus(Schema):
    enabled: bool
    socks5: str | None
    http: str | None


class ExitNodeOption(Schema):
    id: str
    name: str
    dns_name: str
    online: bool


class ChosenExitNode(Schema):
    id: str
    name: str
    online: bool
    in_use: bool  # tailscaled routes the proxy's traffic through it now
    allow_lan_access: bool


class StatusOut(Schema):
    """What the owner may see: no keys, no raw state."""

    phase: Phase
    # The supervisor has not applied the latest change yet (phase shows where it leads).
    pending: bool
    available: bool
    enabled: bool
    hostname: str
    auth_url: str | None
    tailnet_ips: list[str]
    ipv4: str | None
    ipv6: str | None
    dns_name: str | None
    tailnet_name: str | None
    url: str | None
    # The HTTPS front door: https://<dns-name>/ once tailscaled serves it.
    https_url: str | None
    https_enabled: bool  # the owner's setting (TAILSCALE_HTTPS unless chosen)
    # Whether the tailnet offers certificates (None until the node has said).
    https_available: bool | None
    https_error: str | None
    # How the app can be reached now, best first: tailnet-https, tailnet, lan, loopback.
    reachable_via: list[str]
    # Peers that offer an exit node, the one chosen, and whether traffic gets out through it.
    exit_nodes: list[ExitNodeOption]
    exit_node: ChosenExitNode | None
    exit_node_error: str | None
    key_expiry: str | None
    key_expiry_warning: bool
    restart_count: int
    next_retry_at: str | None
    error: str | None
    health: list[str]
    version: str | None
    supervisor_alive: bool
    outbound_proxy: OutboundProxyStatus


def shown_phase(observed: Phase, enabled: bool, pending: bool) -> Phase:
    """The observed phase, or, until the supervisor applies a change, where it leads."""
    if not pending or observed == Phase.UNAVAILABLE:
        return observed
    if enabled and observed in (Phase.DISABLED, Phase.FAILED):
        return Phase.STARTING
    if not enabled and observed.active:
        return Phase.STOPPING
    if not enabled and observed == Phase.FAILED:
        return Phase.DISABLED
    return observed


def build_status(
    desired: DesiredConfig, observed: ObservedStatus, now: datetime | None = None
) -> StatusOut:
    now = now or timezone.now()
    config = effective_config(desired)
    pending = observed.applied_generation < desired.generation
    phase = shown_phase(Phase(observed.phase), desired.enabled, pending)
    dns_name = observed.dns_name.rstrip(".")
    ipv4, ipv6 = split_ips(observed.tailnet_ips or [])
    warn_before = timedelta(days=settings.TAILSCALE_KEY_EXPIRY_WARNING_DAYS)
    auth_url = observed.auth_url if observed.phase == Phase.NEEDS_LOGIN else ""
    return StatusOut(
        phase=phase,
        pending=pending,
        available=phase != Phase.UNAVAILABLE,
        enabled=desired.enabled,
        hostname=observed.hostname or config.hostname,
        auth_url=auth_url if auth_url and auth_url_allowed(auth_url, desired) else None,
        tailnet_ips=list(observed.tailnet_ips or []),
        ipv4=ipv4 or None,
        ipv6=ipv6 or None,
        dns_name=dns_name or None,
        tailnet_name=observed.tailnet_name or None,
        url=f"http://{dns_name}:{settings.TAILSCALE_WEB_PORT}/" if dns_name else None,
        https_url=(observed.https_url or None) if phase == Phase.RUNNING else None,
        https_enabled=config.https,
        https_available=bool(observed.cert_domains) if observed.node_id else None,
        https_error=observed.https_error or None,
        exit_nodes=[
            ExitNodeOption(
                id=str(o.get("id", "")),
                name=str(o.get("name", "")),
                dns_name=str(o.get("dns_name", "")),
                online=o.get("online") is True,
            )
            for o in observed.exit_nodes or []
        ],
        exit_node=chosen_exit_node(config, observed),
        exit_node_error=(observed.exit_node_error or None) if config.exit_node else None,
        reachable_via=reachable_via(
            phase == Phase.RUNNING, observed.https_url if phase == Phase.RUNNING else ""
        ),
        key_expiry=_iso(observed.key_expiry),
        key_expiry_warning=bool(observed.key_expiry and observed.key_expiry - now <= warn_before),
        restart_count=observed.restart_count,
        next_retry_at=_iso(observed.next_retry_at),
        error=observed.last_error or None,
        health=list(observed.health or []),
        version=observed.tailscaled_version or None,
        supervisor_alive=supervisor_alive(observed, now),
        outbound_proxy=OutboundProxyStatus(
            enabled=config.outbound_proxy,
            socks5=observed.socks5_addr or None,
            http=observed.http_proxy_addr or None,
        ),
    )


def chosen_exit_node(config: EffectiveConfig, observed: ObservedStatus) -> ChosenExitNode | None:
    if not config.exit_node:
        return None
    options: list[dict[str, Any]] = observed.exit_nodes or []
    option = next((o for o in options if o.get("id") == config.exit_node), {})
    in_use = (observed.exit_node_status or {}).get("id") == config.exit_node
    return ChosenExitNode(
        id=config.exit_node,
        name=str(option.get("name") or config.exit_node),
        online=bool(
            (observed.exit_node_status or {}).get("online") if in_use else option.get("online")
        ),
        in_use=in_use and observed.phase == Phase.RUNNING,
        allow_lan_access=config.exit_node_allow_lan,
    )


def load_status() -> tuple[DesiredConfig, ObservedStatus, StatusOut]:
    """Read both rows (two queries) and build the status."""
    desired = DesiredConfig.load()
    observed = ObservedStatus.load()
    return desired, observed, build_status(desired, observed)


def is_degraded(desired: DesiredConfig, observed: ObservedStatus) -> bool:
    """What `/api/v1/health` reports: enabled but not able to work."""
    if not desired.enabled:
        return False
    if Phase(observed.phase).degrades_health:
        return True
    return not supervisor_alive(observed, timezone.now())
