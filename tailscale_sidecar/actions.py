"""What the owner can ask for, shared by the page and the API.

Each action writes DesiredConfig (never ObservedStatus) and wakes the
supervisor. They are idempotent: the supervisor compares desired with observed,
so a double click or two concurrent requests at most bump the generation twice.
"""

from __future__ import annotations

import logging
from typing import cast

from django.db import transaction

from .config import default_hostname
from .models import DesiredConfig, ObservedStatus
from .validation import clean_config

logger = logging.getLogger(__name__)


def _nudge() -> None:
    # The supervisor also polls the database, so a missing or failing nudge
    # only delays the change.
    try:
        from .nudge import nudge_supervisor
    except ImportError:
        return
    nudge_supervisor()


def _encrypt(auth_key: str) -> str:
    from tailscale_sidecar.state.crypto import get_cipher

    return get_cipher().encrypt(auth_key.encode())


def enable(
    *,
    hostname: str | None = None,
    auth_key: str | None = None,
    tags: str | list[str] | None = None,
    control_url: str | None = None,
    outbound_proxy: bool | None = None,
) -> DesiredConfig:
    """Turn the node on. Fields left as None keep their saved values.

    Raises validation.FieldErrors (and changes nothing) on bad input.
    """
    saved = DesiredConfig.load()
    if hostname is None and not saved.hostname:
        # A first enable without a name falls back to the deployment's default.
        hostname = default_hostname()
    cleaned = clean_config(
        hostname=hostname,
        tags=tags,
        control_url=control_url,
        auth_key=auth_key or None,
        saved_tags=saved.advertise_tags,
    )
    fields: dict[str, object] = {"enabled": True}
    if "hostname" in cleaned:
        fields["hostname"] = cleaned["hostname"]
    if "tags" in cleaned:
        fields["advertise_tags"] = cleaned["tags"]
    if "control_url" in cleaned:
        fields["control_url"] = cleaned["control_url"]
    if cleaned.get("auth_key"):
        fields["auth_key_encrypted"] = _encrypt(str(cleaned["auth_key"]))
    if outbound_proxy is not None:
        fields["outbound_proxy"] = outbound_proxy
    desired = DesiredConfig.update(**fields)
    logger.info("tailscale enable requested (generation %s)", desired.generation)
    _nudge()
    return desired


def update_settings(
    *,
    hostname: str | None = None,
    tags: str | list[str] | None = None,
    outbound_proxy: bool | None = None,
    https: bool | None = None,
    trusted_logins: str | list[str] | None = None,
    exit_node: str | None = None,
    exit_node_allow_lan: bool | None = None,
) -> DesiredConfig:
    """Change the node's settings, or who signs in by tailnet identity, without turning it
    on or off."""
    cleaned = clean_config(
        hostname=hostname,
        tags=tags,
        trusted_logins=trusted_logins,
        exit_node=exit_node,
        # Checked against the peers the supervisor last saw offering one.
        exit_node_options=ObservedStatus.load().exit_nodes or [] if exit_node else [],
    )
    if "trusted_logins" in cleaned:
        # Read by the web alone: nothing for the supervisor to apply.
        DesiredConfig.set_trusted_logins(cast(list[str], cleaned["trusted_logins"]))
    fields: dict[str, object] = {}
    if "hostname" in cleaned:
        fields["hostname"] = cleaned["hostname"]
    if "tags" in cleaned:
        fields["advertise_tags"] = cleaned["tags"]
    if outbound_proxy is not None:
        fields["outbound_proxy"] = outbound_proxy
    if https is not None:
        fields["https"] = https
    if "exit_node" in cleaned:
        fields["exit_node"] = cleaned["exit_node"]
    if exit_node_allow_lan is not None:
        fields["exit_node_allow_lan"] = exit_node_allow_lan
    if not fields:
        return DesiredConfig.load()
    desired = DesiredConfig.update(**fields)
    _nudge()
    return desired


def disable() -> DesiredConfig:
    """Turn the node off but keep its identity (also cancels a pending login)."""
    desired = DesiredConfig.update(enabled=False)
    logger.info("tailscale disable requested (generation %s)", desired.generation)
    _nudge()
    return desired


def reset() -> DesiredConfig:
    """Turn the node off, log it out and wipe its identity."""
    with transaction.atomic():
        DesiredConfig.update(enabled=False)
        desired = DesiredConfig.bump("reset_generation")
    logger.info("tailscale reset requested (reset generation %s)", desired.reset_generation)
    _nudge()
    return desired


def retry() -> DesiredConfig:
    """Try again after `failed`, starting the backoff afresh."""
    desired = DesiredConfig.bump("retry_generation")
    logger.info("tailscale retry requested (retry generation %s)", desired.retry_generation)
    _nudge()
    return desired
