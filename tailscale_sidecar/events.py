"""The node's timeline: what happened to it, newest first, bounded.

The supervisor records an event when something happens (enabled, login URL
issued, connected, tailscaled exited, restarted, gave up, ...). The web records
one kind, a sign-in by tailnet identity, since that happens in the web; it
reads the rest, for the Settings page and `GET /api/v1/tailscale/events`. This is
what tells an owner why the node was offline at 3 am. Recording is best
effort: a database outage must not stop the supervisor, so a lost event is
only logged. The table keeps the newest `KEEP` rows (`prune()`, run by the
beat job and every `PRUNE_EVERY` records).
"""

from __future__ import annotations

import logging
from enum import StrEnum

from django.db import DatabaseError, transaction

from tailscale_sidecar.models import NodeEvent

log = logging.getLogger(__name__)

KEEP = 200
PRUNE_EVERY = 50


class Kind(StrEnum):
    ENABLED = "enabled"
    LOGIN_URL = "login_url"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    EXITED = "exited"
    HUNG = "hung"
    RESTARTED = "restarted"
    GAVE_UP = "gave_up"
    KEY_EXPIRY_WARNING = "key_expiry_warning"
    EXPIRED = "expired"
    CONTROL_UNREACHABLE = "control_unreachable"
    CONTROL_REACHABLE = "control_reachable"
    DISABLED = "disabled"
    RESET = "reset"
    LEASE_TAKEN_OVER = "lease_taken_over"
    SIGNED_IN = "signed_in"  # recorded by the web (web/signin.py)


def record(kind: Kind, message: str, **detail: object) -> NodeEvent | None:
    """Add an event (the supervisor; the web only for sign-ins); None when the database would not take it."""
    try:
        event = NodeEvent.objects.create(kind=kind, message=message, detail=detail)
        if event.id % PRUNE_EVERY == 0:
            prune()
    except DatabaseError as exc:
        log.warning("could not record the event %r (%s): %s", str(kind), message, exc)
        return None
    return event


def recent(limit: int = 50) -> list[NodeEvent]:
    """The newest `limit` events, newest first."""
    return list(NodeEvent.objects.order_by("-id")[:limit])


def latest_id() -> int | None:
    """The newest event's id: a cheap way to tell that the timeline changed."""
    return NodeEvent.objects.order_by("-id").values_list("id", flat=True).first()


def prune(keep: int = KEEP) -> int:
    """Delete all but the newest `keep` events; returns how many went."""
    with transaction.atomic():
        ids = NodeEvent.objects.order_by("-id").values_list("id", flat=True)
        newest_dropped = list(ids[keep : keep + 1])
        if not newest_dropped:
            return 0
        deleted, _ = NodeEvent.objects.filter(id__lte=newest_dropped[0]).delete()
    return deleted
