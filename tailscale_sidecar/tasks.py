"""Scheduled jobs around the supervisor (never part of its restart loop)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from tailscale_sidecar import events
from tailscale_sidecar.models import ObservedStatus
from tailscale_sidecar.state import store as statestore

log = logging.getLogger(__name__)


@shared_task
def prune_state_versions() -> int:
    """The hourly pruning; returns how many state versions went.

    Drops encrypted state versions beyond TAILSCALE_STATE_VERSIONS_KEPT and
    node events beyond the newest 200 (tailscale_sidecar.events.KEEP).
    """
    pruned = events.prune()
    if pruned:
        log.info("pruned %d old node events", pruned)
    return statestore.prune_state_versions()


@shared_task
def check_key_expiry() -> float | None:
    """Warn when the node key expires soon; returns the days left (None: never expires)."""
    expiry = ObservedStatus.load().key_expiry
    if expiry is None:
        return None
    days_left = (expiry - timezone.now()).total_seconds() / 86400
    if days_left <= settings.TAILSCALE_KEY_EXPIRY_WARNING_DAYS:
        log.warning(
            "The Tailscale node key expires in %.1f days (%s): re-authenticate on the "
            "Tailscale settings page, or disable key expiry for this device in the admin console.",
            days_left,
            expiry.isoformat(),
        )
    return days_left
