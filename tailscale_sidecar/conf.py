"""The app's settings, with their defaults: a host project needs none in settings.py.

Each setting comes from the host's Django settings when it defines it, else
from the environment variable of the same name (the names in `.env.example`),
else the default below. At start-up (`AppConfig.ready`) the resolved values are
put on `django.conf.settings`, so the app's code reads `settings.TAILSCALE_…`
and tests may override them as usual. A value that does not parse stops
start-up with the variable's name, never a silent default.

Environment variables read here:

    TAILSCALED_BIN                      tailscaled binary (name on PATH or a path)
    TAILSCALE_STATE_KEYS / _FILE        Fernet keys for the node's stored state
    TAILSCALE_STATE_VERSIONS_KEPT       encrypted state versions kept
    TAILSCALE_AUTHKEY                   auth key for headless joins (or tskey-client-…?…)
    TAILSCALE_OAUTH_CLIENT_SECRET / _FILE  OAuth client secret that mints the auth key
    TAILSCALE_OAUTH_CLIENT_ID           that client's id (optional)
    TAILSCALE_OAUTH_EPHEMERAL           minted keys make ephemeral nodes
    TAILSCALE_OAUTH_PREAUTHORIZED       minted keys skip device approval
    TAILSCALE_EPHEMERAL                 the auth key is ephemeral: log the node out on a clean stop
    TAILSCALE_API_URL                   Tailscale API the OAuth client talks to
    TAILSCALE_TAGS                      default tags, comma-separated (needed with OAuth)
    TAILSCALE_HOSTNAME                  default node name, or a template: {id} {host} {region}
    TAILSCALE_CONTROL_URL               login server ("" = Tailscale's)
    TAILSCALE_HTTPS                     serve https://<node>.<tailnet>.ts.net/ when the tailnet can
    TAILSCALE_TRUSTED_LOGINS            tailnet logins signed in without a password, comma-separated
    TAILSCALE_EXIT_NODE_CHECK_URL       fetched through the proxy to check an exit node's egress
    TAILSCALE_OUTBOUND_PROXY            run tailscaled's SOCKS5/HTTP proxy
    TAILSCALE_OUTBOUND_PROXY_ADDR       where that proxy listens
    TAILSCALE_RUN_DIR                   socket and pidfile directory
    TAILSCALE_STATE_DIR                 tailscaled's state directory
    TAILSCALE_HEALTHCHECK_INTERVAL      seconds between health checks
    TAILSCALE_PROBE_TIMEOUT             seconds a health probe may take
    TAILSCALE_POLL_INTERVAL             seconds between database polls
    TAILSCALE_BACKOFF                   restart delays, comma-separated seconds
    TAILSCALE_STABLE_AFTER              seconds running before the backoff resets
    TAILSCALE_KEY_EXPIRY_WARNING_DAYS   warn this many days before the key expires
    REDIS_URL                           nudges over Redis pub/sub ("" = poll only)
    PORT                                the port the host's web server listens on

`TAILSCALE_WEB_BIND` (the address the web server listens on; "" when the app
cannot know) is a Django setting only: the host knows how it serves.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value not in _TRUE | _FALSE:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use true or false.")
    return value in _TRUE


def _number(kind: Callable[[str], Any]) -> Callable[[str, str], Any]:
    def parse(name: str, raw: str) -> Any:
        try:
            return kind(raw.strip())
        except ValueError:
            raise ImproperlyConfigured(f"{name}={raw!r} is not a {kind.__name__}.") from None

    return parse


def _text(name: str, raw: str) -> str:
    return raw.strip()


def _words(name: str, raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def _logins(name: str, raw: str) -> list[str]:
    from tailscale_sidecar.validation import clean_logins

    try:
        return clean_logins(raw)
    except ValidationError as exc:
        raise ImproperlyConfigured(f"{name}: {exc.messages[0]}") from None


def _tags(name: str, raw: str) -> list[str]:
    from tailscale_sidecar.validation import validate_tags

    try:
        return validate_tags(raw)
    except ValidationError as exc:
        raise ImproperlyConfigured(f"{name}: {exc.messages[0]}") from None


def _client_secret(name: str, raw: str) -> str:
    secret = raw.strip()
    if secret and not secret.startswith("tskey-client-"):
        raise ImproperlyConfigured(
            f"{name} must be an OAuth client secret (tskey-client-…); "
            "an auth key (tskey-auth-…) goes in TAILSCALE_AUTHKEY."
        )
    return secret


def _seconds_list(name: str, raw: str) -> list[float]:
    return [_number(float)(name, item) for item in _words(name, raw)]


def _data_dir() -> Path:
    """The host's data directory: DATA_DIR if it has one, else BASE_DIR/data, else ./data."""
    if getattr(settings, "DATA_DIR", None):
        return Path(settings.DATA_DIR)
    return Path(getattr(settings, "BASE_DIR", None) or Path.cwd()) / "data"


# name: (environment variable, parser, default or a function giving it)
DEFAULTS: dict[str, tuple[str, Callable[[str, str], Any], Any]] = {
    "TAILSCALED_BIN": ("TAILSCALED_BIN", _text, "tailscaled"),
    "TAILSCALE_STATE_KEYS": ("TAILSCALE_STATE_KEYS", _words, list),
    "TAILSCALE_STATE_VERSIONS_KEPT": ("TAILSCALE_STATE_VERSIONS_KEPT", _number(int), 10),
    "TAILSCALE_AUTHKEY": ("TAILSCALE_AUTHKEY", _text, ""),
    "TAILSCALE_OAUTH_CLIENT_SECRET": ("TAILSCALE_OAUTH_CLIENT_SECRET", _client_secret, ""),
    "TAILSCALE_OAUTH_CLIENT_ID": ("TAILSCALE_OAUTH_CLIENT_ID", _text, ""),
    # Off by default, unlike the CLI: this app keeps its state, and an
    # ephemeral node is deleted at control once it has been offline a while,
    # so a restart after an outage would need a new login.
    "TAILSCALE_OAUTH_EPHEMERAL": ("TAILSCALE_OAUTH_EPHEMERAL", parse_bool, False),
    "TAILSCALE_OAUTH_PREAUTHORIZED": ("TAILSCALE_OAUTH_PREAUTHORIZED", parse_bool, True),
    # A plain auth key's ephemeral flag is known only to control: say it here.
    "TAILSCALE_EPHEMERAL": ("TAILSCALE_EPHEMERAL", parse_bool, False),
    "TAILSCALE_API_URL": ("TAILSCALE_API_URL", _text, "https://api.tailscale.com"),
    "TAILSCALE_TAGS": ("TAILSCALE_TAGS", _tags, list),
    "TAILSCALE_HOSTNAME": ("TAILSCALE_HOSTNAME", _text, ""),
    "TAILSCALE_CONTROL_URL": ("TAILSCALE_CONTROL_URL", _text, ""),
    "TAILSCALE_OUTBOUND_PROXY": ("TAILSCALE_OUTBOUND_PROXY", parse_bool, False),
    "TAILSCALE_HTTPS": ("TAILSCALE_HTTPS", parse_bool, True),
    "TAILSCALE_EXIT_NODE_CHECK_URL": (
        "TAILSCALE_EXIT_NODE_CHECK_URL",
        _text,
        "https://controlplane.tailscale.com/derpmap/default",
    ),
    "TAILSCALE_TRUSTED_LOGINS": ("TAILSCALE_TRUSTED_LOGINS", _logins, list),
    # One loopback address serves both SOCKS5 and HTTP proxying (tailscaled sniffs).
    "TAILSCALE_OUTBOUND_PROXY_ADDR": ("TAILSCALE_OUTBOUND_PROXY_ADDR", _text, "127.0.0.1:1055"),
    "TAILSCALE_RUN_DIR": ("TAILSCALE_RUN_DIR", lambda n, r: Path(r), lambda: _data_dir() / "run"),
    "TAILSCALE_STATE_DIR": (
        "TAILSCALE_STATE_DIR",
        lambda n, r: Path(r),
        lambda: _data_dir() / "tailscale",
    ),
    "TAILSCALE_HEALTHCHECK_INTERVAL": ("TAILSCALE_HEALTHCHECK_INTERVAL", _number(float), 30.0),
    "TAILSCALE_PROBE_TIMEOUT": ("TAILSCALE_PROBE_TIMEOUT", _number(float), 5.0),
    "TAILSCALE_POLL_INTERVAL": ("TAILSCALE_POLL_INTERVAL", _number(float), 2.0),
    "TAILSCALE_BACKOFF": ("TAILSCALE_BACKOFF", _seconds_list, [1.0, 2.0, 4.0, 8.0, 16.0]),
    "TAILSCALE_STABLE_AFTER": ("TAILSCALE_STABLE_AFTER", _number(float), 60.0),
    "TAILSCALE_KEY_EXPIRY_WARNING_DAYS": ("TAILSCALE_KEY_EXPIRY_WARNING_DAYS", _number(int), 14),
    "REDIS_URL": ("REDIS_URL", _text, ""),
    # The port tailnet visitors use: userspace tailscaled delivers <node>:PORT
    # to 127.0.0.1:PORT, where the host's web server must listen.
    "TAILSCALE_WEB_PORT": ("PORT", _number(int), 8000),
}


def resolve(name: str) -> Any:
    """A setting's value: the host's setting, else its environment variable, else the default."""
    if hasattr(settings, name):
        return getattr(settings, name)
    env_name, parse, default = DEFAULTS[name]
    raw = os.environ.get(env_name)
    if name == "TAILSCALE_STATE_KEYS" and os.environ.get("TAILSCALE_STATE_KEYS_FILE"):
        # A secrets file wins over the variable (Docker secrets; whitespace-separated).
        return Path(os.environ["TAILSCALE_STATE_KEYS_FILE"]).read_text().split()
    if name == "TAILSCALE_OAUTH_CLIENT_SECRET" and os.environ.get(f"{env_name}_FILE"):
        return parse(f"{env_name}_FILE", Path(os.environ[f"{env_name}_FILE"]).read_text())
    if raw is not None:
        return parse(env_name, raw)
    return default() if callable(default) else default


def check_web_bind(bind: str) -> None:
    """Refuse an address tailnet traffic can never reach.

    Userspace tailscaled delivers inbound tailnet connections to
    127.0.0.1:<port>, never to ::1: a server listening on ::1 alone would be
    unreachable from the tailnet while everything else looks fine.
    """
    host = bind.strip().removeprefix("[").removesuffix("]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    if address.version == 6 and address.is_loopback:
        raise ImproperlyConfigured(
            f"The web server address {bind!r} can never receive tailnet traffic: tailscaled "
            "delivers it to 127.0.0.1:<port>, not to ::1. Listen on 127.0.0.1 instead."
        )


def install_defaults() -> None:
    """Put every resolved setting on django.conf.settings (the host's own values win)."""
    for name in DEFAULTS:
        if not hasattr(settings, name):
            setattr(settings, name, resolve(name))
    if not hasattr(settings, "TAILSCALE_WEB_BIND"):
        settings.TAILSCALE_WEB_BIND = ""
    check_web_bind(settings.TAILSCALE_WEB_BIND)
    check_hostname(settings.TAILSCALE_HOSTNAME)


def check_hostname(hostname: str) -> None:
    """Refuse a TAILSCALE_HOSTNAME template that can't render a name on this machine."""
    from tailscale_sidecar.hostname import is_template
    from tailscale_sidecar.validation import validate_hostname

    if not is_template(hostname):
        return
    try:
        validate_hostname(hostname)
    except ValidationError as exc:
        raise ImproperlyConfigured(f"TAILSCALE_HOSTNAME: {exc.messages[0]}") from None
