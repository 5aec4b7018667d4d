"""Reach tailnet peers from the app, through tailscaled's outbound proxy.

In userspace mode the host has no route to the tailnet: connections to peers
go through the HTTP/SOCKS5 proxy tailscaled listens on when the outbound proxy
is turned on. The supervisor records the proxy's address in ObservedStatus.
"""

from __future__ import annotations

from typing import Any

import httpx

from tailscale_sidecar.models import ObservedStatus


class OutboundProxyOff(RuntimeError):
    """The outbound proxy is not running, so tailnet peers are unreachable."""


def tailnet_proxy_url() -> str | None:
    """The proxy URL (`http://127.0.0.1:PORT`) while the outbound proxy runs, else None."""
    addr = ObservedStatus.load().http_proxy_addr
    return f"http://{addr}" if addr else None


def tailnet_http_client(**kwargs: Any) -> httpx.Client:
    """An httpx client whose requests go into the tailnet (peer names resolve by MagicDNS)."""
    proxy = tailnet_proxy_url()
    if proxy is None:
        raise OutboundProxyOff(
            "The Tailscale outbound proxy is off: tick 'Outbound proxy' under Advanced when "
            "enabling on the Settings → Tailscale page (or send PATCH /api/v1/tailscale "
            '{"outbound_proxy": true}, or set TAILSCALE_OUTBOUND_PROXY=true), then wait until '
            "the node is connected."
        )
    kwargs.setdefault("timeout", 10.0)
    return httpx.Client(proxy=proxy, trust_env=False, **kwargs)
