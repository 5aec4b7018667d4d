"""GET /api/v1/tailscale/stream: the status at once, again on each change, bounded in time and number.

In-process streams run to their end (a short lifetime here): that is how the
test client closes a response the way a WSGI server does. Changes made by
another process, as the supervisor makes them, are in test_status_stream_live.py.
"""

import json

import pytest

from tailscale_sidecar import events
from tailscale_sidecar.events import Kind
from tailscale_sidecar.web import stream


@pytest.fixture(autouse=True)
def _short_streams(monkeypatch):
    monkeypatch.setattr(stream, "MAX_LIFETIME", 0.3)


def frames(response) -> list[tuple[str, str]]:
    """Every event of a finished stream, as (event, data)."""
    body = b"".join(response.streaming_content).decode()
    found = []
    for block in body.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            found.append((fields["event"], fields["data"]))
    return found


@pytest.mark.django_db
def test_it_starts_with_the_status_the_api_serves(token_client, observe):
    observe(phase="running", hostname="web", tailnet_ips=["100.64.0.7"])
    response = token_client.get("/api/v1/tailscale/stream")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    (event, data), _ = frames(response)
    assert event == "status"
    assert json.loads(data) == token_client.get("/api/v1/tailscale").json()


@pytest.mark.django_db
def test_it_names_the_newest_event(owner_client):
    recorded = events.record(Kind.ENABLED, "Tailscale was turned on.")
    _, (event, data) = frames(owner_client.get("/api/v1/tailscale/stream"))
    assert event == "events"
    assert json.loads(data) == {"latest": recorded.id}


@pytest.mark.django_db
def test_it_ends_after_its_lifetime_with_a_reconnect_hint(token_client):
    response = token_client.get("/api/v1/tailscale/stream")
    body = b"".join(response.streaming_content).decode()
    assert body.startswith(f"retry: {stream.RECONNECT_MS}\n\n")
    # Nothing changed: the status is sent once.
    assert body.count("event: status") == 1


@pytest.mark.django_db
def test_streams_beyond_the_limit_get_a_503(token_client, monkeypatch):
    monkeypatch.setattr(stream, "_slots", stream.threading.BoundedSemaphore(1))
    monkeypatch.setattr(stream, "SLOT_WAIT", 0.05)
    first = token_client.get("/api/v1/tailscale/stream")
    second = token_client.get("/api/v1/tailscale/stream")
    assert second.status_code == 503
    assert second["Retry-After"]
    frames(first)
    # A finished stream frees its slot.
    third = token_client.get("/api/v1/tailscale/stream")
    assert third.status_code == 200
    frames(third)


@pytest.mark.django_db
def test_it_needs_a_login_or_token(client):
    assert client.get("/api/v1/tailscale/stream").status_code == 401
