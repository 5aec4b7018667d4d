"""The node's timeline for the owner: `GET /api/v1/tailscale/events` and the page's list.

Read only: the supervisor writes events (tailscale_sidecar.events).
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Schema

from tailscale_sidecar import events

PAGE_EVENTS = 20

LABELS: dict[str, str] = {
    events.Kind.ENABLED: "Turned on",
    events.Kind.LOGIN_URL: "Login link",
    events.Kind.CONNECTED: "Connected",
    events.Kind.DISCONNECTED: "Disconnected",
    events.Kind.EXITED: "tailscaled exited",
    events.Kind.HUNG: "tailscaled hung",
    events.Kind.RESTARTED: "Restarted",
    events.Kind.GAVE_UP: "Gave up",
    events.Kind.KEY_EXPIRY_WARNING: "Key expires soon",
    events.Kind.EXPIRED: "Key expired",
    events.Kind.CONTROL_UNREACHABLE: "Control unreachable",
    events.Kind.CONTROL_REACHABLE: "Control reachable",
    events.Kind.DISABLED: "Turned off",
    events.Kind.RESET: "Reset",
    events.Kind.LEASE_TAKEN_OVER: "Supervisor replaced",
    events.Kind.SIGNED_IN: "Signed in",
}
# Kinds the page marks as trouble, and as good news.
BAD = {"exited", "hung", "gave_up", "expired", "control_unreachable", "disconnected"}
GOOD = {"connected", "control_reachable"}


class EventOut(Schema):
    id: int
    at: datetime
    kind: str
    message: str
    detail: dict[str, object]


class EventsOut(Schema):
    events: list[EventOut]


class EventsQuery(Schema):
    limit: int = Field(50, ge=1, le=events.KEEP, description="How many, newest first (1 to 200).")


def event_out(event) -> dict[str, object]:
    return {
        "id": event.id,
        "at": event.created_at,
        "kind": event.kind,
        "message": event.message,
        "detail": event.detail or {},
    }


def page_events(limit: int = PAGE_EVENTS) -> list[dict[str, object]]:
    """The newest events for the Settings page, with a label and a tone each."""
    return [
        {
            **event_out(event),
            "label": LABELS.get(event.kind, event.kind),
            "tone": "bad" if event.kind in BAD else "good" if event.kind in GOOD else "info",
        }
        for event in events.recent(limit)
    ]


def list_events(request: HttpRequest, query: Query[EventsQuery]) -> dict[str, object]:
    """What happened to the node, newest first (at most the last 200 events are kept)."""
    return {"events": [event_out(event) for event in events.recent(query.limit)]}
