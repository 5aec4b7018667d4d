"""Rules for what the owner may ask tailscaled to use, shared by the form and the API.

Each function returns the cleaned value or raises django's ValidationError with
a message the owner can act on. tailscaled itself validates almost nothing
(it accepts any hostname), so these follow the `tailscale` CLI's rules.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from tailscale_sidecar.hostname import MAX_LABEL, TemplateError, is_template, render
from tailscale_sidecar.oauthkey import (
    MISSING_TAGS,
    OAuthKeyError,
    is_client_secret,
    parse_client_secret,
)

HOSTNAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
TAG_RE = re.compile(r"^tag:[A-Za-z][A-Za-z0-9-]*$")
MAX_TAGS = 16
MAX_AUTH_KEY_LENGTH = 400
AUTH_KEY_PREFIXES = ("tskey-auth-", "tskey-client-")
# A tailnet login name: an email address, or user@github, user@passkey and the like.
LOGIN_RE = re.compile(r"^[^\s@,]+@[^\s@,]+$")
MAX_LOGIN_LENGTH = 254
MAX_TRUSTED_LOGINS = 100


def validate_hostname(value: str) -> str:
    """A single DNS label: 1–63 letters, digits or '-', not starting or ending with '-'.

    Or a template (hostname.py) that renders a non-empty label on this machine.
    """
    hostname = value.strip()
    if is_template(hostname):
        return _validate_template(hostname)
    if not HOSTNAME_RE.match(hostname):
        raise ValidationError(
            f'"{hostname}" is not a valid hostname: use 1–63 letters, digits or "-", '
            'not starting or ending with "-"'
        )
    return hostname


def _validate_template(template: str) -> str:
    if len(template) > MAX_LABEL:
        raise ValidationError(f"The hostname template is longer than {MAX_LABEL} characters.")
    # The id is never empty, so any stand-in tells whether the name renders empty.
    values = {"id": "0", "host": socket.gethostname(), "region": os.environ.get("FLY_REGION", "")}
    try:
        rendered = render(template, values)
    except TemplateError as exc:
        raise ValidationError(str(exc)) from None
    if not rendered:
        shown = ", ".join(f"{{{name}}}={value!r}" for name, value in values.items() if name != "id")
        raise ValidationError(
            f'"{template}" renders as an empty name here ({shown}): add letters or digits '
            "outside the placeholders, or use {id}."
        )
    return template


def validate_tags(value: str | list[str] | None) -> list[str]:
    """`tag:name` entries (a list or a comma-separated string): de-duplicated and sorted."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    tags = sorted({item.strip() for item in items if item.strip()})
    bad = [tag for tag in tags if not TAG_RE.match(tag)]
    if bad:
        raise ValidationError(
            f'"{bad[0]}" is not a valid tag: use "tag:" followed by a name that starts '
            'with a letter and holds only letters, digits or "-"'
        )
    if len(tags) > MAX_TAGS:
        raise ValidationError(f"Use at most {MAX_TAGS} tags ({len(tags)} given).")
    return tags


def clean_logins(value: str | list[str] | None) -> list[str]:
    """Tailnet login names (a list or a comma-separated string): lowercased, de-duplicated."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    logins = sorted({str(item).strip().lower() for item in items if str(item).strip()})
    for login in logins:
        if len(login) > MAX_LOGIN_LENGTH or not LOGIN_RE.match(login):
            raise ValidationError(
                f'"{login[:80]}" is not a tailnet login name: use the name the admin console '
                "shows for the user, such as alice@example.com or alice@github."
            )
    if len(logins) > MAX_TRUSTED_LOGINS:
        raise ValidationError(f"Trust at most {MAX_TRUSTED_LOGINS} logins ({len(logins)} given).")
    return logins


def clean_exit_node(value: str, options: list[dict]) -> str:
    """The stable ID of the exit node `value` names ("" clears it).

    `value` may be the peer's name, its MagicDNS name, a tailnet IP or its ID;
    `options` are the peers that offer an exit node, as the supervisor last saw them.
    """
    wanted = value.strip().rstrip(".").lower()
    if not wanted:
        return ""
    for option in options:
        names = {
            str(option.get("id", "")).lower(),
            str(option.get("name", "")).lower(),
            str(option.get("dns_name", "")).lower(),
            *(str(ip).lower() for ip in option.get("ips") or ()),
        }
        if wanted in names:
            return str(option["id"])
    offered = ", ".join(str(option.get("name")) for option in options) or "none right now"
    raise ValidationError(
        f'"{value[:80]}" is not a device of this tailnet that offers an exit node '
        f"(offered: {offered})."
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_control_url(value: str) -> str:
    """An http(s) login server URL; https unless it is on this machine."""
    url = value.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("The login server must be an http:// or https:// URL with a host.")
    if parts.username or parts.password:
        raise ValidationError("The login server URL must not contain a user name or password.")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ValidationError("The login server URL must not contain a query or a fragment.")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValidationError(
            "The login server must use https:// (http:// is only allowed for localhost)."
        )
    return url.rstrip("/")


def validate_auth_key(value: str, tags: list[str]) -> str:
    """A Tailscale auth key or OAuth client secret (the latter needs tags)."""
    key = value.strip()
    if not key:
        return ""
    if any(ch.isspace() for ch in key):
        raise ValidationError("The auth key must not contain spaces or line breaks.")
    if key.startswith("tskey-api-"):
        raise ValidationError(
            "API access tokens can't be used to log in: create an auth key "
            "(tskey-auth-…) in the admin console instead."
        )
    if not key.startswith(AUTH_KEY_PREFIXES) or key in AUTH_KEY_PREFIXES:
        raise ValidationError(
            'This does not look like an auth key: it should start with "tskey-auth-" '
            '(or "tskey-client-" for an OAuth client secret).'
        )
    if len(key) > MAX_AUTH_KEY_LENGTH:
        raise ValidationError(f"The auth key is longer than {MAX_AUTH_KEY_LENGTH} characters.")
    if is_client_secret(key):
        try:
            parse_client_secret(key, settings.TAILSCALE_API_URL)
        except OAuthKeyError as exc:
            raise ValidationError(str(exc)) from None
        if not tags:
            raise ValidationError(MISSING_TAGS)
    return key


class FieldErrors(Exception):
    """Every invalid field at once, keyed by field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def clean_config(
    *,
    hostname: str | None = None,
    tags: str | list[str] | None = None,
    control_url: str | None = None,
    auth_key: str | None = None,
    saved_tags: list[str] | None = None,
    trusted_logins: str | list[str] | None = None,
    exit_node: str | None = None,
    exit_node_options: list[dict] | None = None,
) -> dict[str, object]:
    """Validate the fields that were given (None = not given), all or nothing.

    Returns cleaned values keyed by the same names; raises FieldErrors listing
    every bad field so the owner can fix them in one go. `saved_tags` (else
    TAILSCALE_TAGS) stand in for `tags` when judging an OAuth secret sent without tags.
    """
    cleaned: dict[str, object] = {}
    errors: dict[str, str] = {}

    def check(name: str, rule: Callable[[], object]) -> None:
        try:
            cleaned[name] = rule()
        except ValidationError as exc:
            errors[name] = exc.messages[0]

    if hostname is not None:
        check("hostname", lambda: validate_hostname(hostname))
    key_tags = saved_tags or settings.TAILSCALE_TAGS
    if tags is not None:
        try:
            key_tags = validate_tags(tags)
            cleaned["tags"] = key_tags
        except ValidationError as exc:
            errors["tags"] = exc.messages[0]
    if control_url is not None:
        check("control_url", lambda: validate_control_url(control_url))
    if auth_key is not None:
        check("auth_key", lambda: validate_auth_key(auth_key, key_tags))
    if trusted_logins is not None:
        check("trusted_logins", lambda: clean_logins(trusted_logins))
    if exit_node is not None:
        check("exit_node", lambda: clean_exit_node(exit_node, exit_node_options or []))
    if errors:
        raise FieldErrors(errors)
    return cleaned
