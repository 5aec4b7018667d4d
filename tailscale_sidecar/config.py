"""The one effective configuration: the owner's saved choice, else the deployment's default.

`DesiredConfig` stores only what the owner chose on the page or through the API
(an empty field means "not chosen"); the environment supplies the defaults.
Every reader (the supervisor's reconcile, the status builder, the page's form)
asks this module instead of combining the two itself, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from tailscale_sidecar.hostname import TemplateError, rendered_hostname
from tailscale_sidecar.models import DesiredConfig

DEFAULT_HOSTNAME = "tracearr"


@dataclass(frozen=True)
class EffectiveConfig:
    enabled: bool
    hostname: str  # the name the node asks for: the template rendered
    hostname_template: str  # as the owner or TAILSCALE_HOSTNAME gave it
    control_url: str  # "" means Tailscale's own login server
    tags: tuple[str, ...]
    outbound_proxy: bool
    exit_node: str  # the stable ID of the peer the app's outbound traffic exits through
    exit_node_allow_lan: bool
    https: bool  # serve https://<node>.<tailnet>.ts.net/ when the tailnet offers certificates
    trusted_logins: frozenset[str]  # tailnet logins signed in without a password
    # Encrypted with the state cipher; decrypted only by the supervisor at login.
    auth_key_encrypted: str
    generation: int

    @property
    def login_server(self) -> str:
        """The configured login server without a trailing slash ("" = Tailscale's)."""
        return self.control_url.rstrip("/")

    @property
    def headless(self) -> bool:
        """A login can use a key (the page's, TAILSCALE_AUTHKEY or an OAuth client): no click."""
        return bool(
            self.auth_key_encrypted
            or settings.TAILSCALE_AUTHKEY
            or settings.TAILSCALE_OAUTH_CLIENT_SECRET
        )

    @property
    def outbound_proxy_addr(self) -> str | None:
        """Where tailscaled's SOCKS5/HTTP proxy listens, or None when it is off."""
        return settings.TAILSCALE_OUTBOUND_PROXY_ADDR if self.outbound_proxy else None


def default_hostname() -> str:
    """The name a node gets when the owner has not chosen one."""
    return settings.TAILSCALE_HOSTNAME or DEFAULT_HOSTNAME


def _render(template: str, instance_id: str) -> str:
    try:
        return rendered_hostname(template, instance_id) or DEFAULT_HOSTNAME
    except TemplateError:
        return DEFAULT_HOSTNAME


def effective_config(desired: DesiredConfig) -> EffectiveConfig:
    template = desired.hostname or default_hostname()
    return EffectiveConfig(
        enabled=desired.enabled,
        # Checked when given, so empty only if this machine differs (say, no
        # FLY_REGION here): the default name then, never an empty one.
        hostname=_render(template, desired.instance_id),
        hostname_template=template,
        control_url=desired.control_url or settings.TAILSCALE_CONTROL_URL,
        tags=tuple(sorted(set(desired.advertise_tags or settings.TAILSCALE_TAGS))),
        # An exit node only carries the outbound proxy's traffic: it needs the proxy.
        outbound_proxy=bool(desired.exit_node)
        or (
            settings.TAILSCALE_OUTBOUND_PROXY
            if desired.outbound_proxy is None
            else desired.outbound_proxy
        ),
        exit_node=desired.exit_node,
        exit_node_allow_lan=desired.exit_node_allow_lan,
        https=settings.TAILSCALE_HTTPS if desired.https is None else desired.https,
        trusted_logins=frozenset(
            login.lower() for login in [*settings.TAILSCALE_TRUSTED_LOGINS, *desired.trusted_logins]
        ),
        auth_key_encrypted=desired.auth_key_encrypted,
        generation=desired.generation,
    )
