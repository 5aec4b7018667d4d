"""How the app can be reached right now: said, never left to guess.

`reachable_via` is what the status API reports and the page shows; the
supervisor logs the same words when the node drops off the tailnet. The web
server always answers on loopback; on the LAN too when the host says it listens
on a wildcard address (`TAILSCALE_WEB_BIND`); on the tailnet while the node is
Running; and through the HTTPS front door once tailscaled serves it.
"""

from __future__ import annotations

from django.conf import settings

WILDCARD_BINDS = frozenset({"0.0.0.0", "::", "[::]", "*"})
LABELS = {
    "tailnet-https": "HTTPS on the tailnet",
    "tailnet": "the tailnet",
    "lan": "the local network",
    "loopback": "this machine",
}


def wildcard_bind() -> bool:
    """True when the host says its web server listens on every address, not just loopback."""
    return settings.TAILSCALE_WEB_BIND.strip() in WILDCARD_BINDS


def reachable_via(running: bool, https_url: str) -> list[str]:
    """The ways in, best first: tailnet-https, tailnet, lan, loopback."""
    via = []
    if running:
        via += ["tailnet-https", "tailnet"] if https_url else ["tailnet"]
    if wildcard_bind():
        via.append("lan")
    return [*via, "loopback"]


def describe(via: list[str]) -> str:
    """ "the local network and this machine" """
    names = [LABELS[way] for way in via]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
