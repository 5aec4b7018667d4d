"""GET /api/v1/tailscale/events: newest first, bounded, login/token only, strict `limit`."""

import pytest

from tailscale_sidecar import events
from tailscale_sidecar.events import Kind
from tailscale_sidecar.models import NodeEvent


@pytest.mark.django_db
def test_it_lists_events_newest_first(token_client):
    events.record(Kind.ENABLED, "Tailscale was turned on.")
    events.record(Kind.CONNECTED, "Connected as web.", ips=["100.64.0.7"])
    body = token_client.get("/api/v1/tailscale/events").json()
    assert [e["kind"] for e in body["events"]] == ["connected", "enabled"]
    newest = body["events"][0]
    assert newest["message"] == "Connected as web."
    assert newest["detail"] == {"ips": ["100.64.0.7"]}
    assert set(newest) == {"id", "at", "kind", "message", "detail"}


@pytest.mark.django_db
def test_limit_picks_the_newest(owner_client):
    for n in range(5):
        events.record(Kind.RESTARTED, f"restart {n}", attempt=n)
    body = owner_client.get("/api/v1/tailscale/events?limit=2").json()
    assert [e["detail"]["attempt"] for e in body["events"]] == [4, 3]


@pytest.mark.django_db
@pytest.mark.parametrize("limit", ["0", "201", "-1", "abc", "1.5", ""])
def test_a_bad_limit_is_a_422(token_client, limit):
    response = token_client.get(f"/api/v1/tailscale/events?limit={limit}")
    assert response.status_code == 422, response.content
    assert "limit" in response.json()["errors"]


@pytest.mark.django_db
def test_the_edges_of_limit_are_accepted(token_client):
    assert token_client.get("/api/v1/tailscale/events?limit=1").status_code == 200
    assert token_client.get("/api/v1/tailscale/events?limit=200").status_code == 200


@pytest.mark.django_db
def test_it_needs_a_login_or_token(client):
    assert client.get("/api/v1/tailscale/events").status_code == 401


@pytest.mark.django_db
def test_prune_keeps_the_newest():
    for n in range(12):
        events.record(Kind.EXITED, f"exit {n}", code=n)
    assert events.prune(keep=5) == 7
    assert [e.detail["code"] for e in events.recent(10)] == [11, 10, 9, 8, 7]
    assert events.prune(keep=5) == 0


@pytest.mark.django_db
def test_the_table_stays_bounded_without_the_beat_job():
    NodeEvent.objects.bulk_create(
        NodeEvent(kind="exited", message="old") for _ in range(events.KEEP + 60)
    )
    for _ in range(events.PRUNE_EVERY):
        events.record(Kind.EXITED, "new")
    assert NodeEvent.objects.count() <= events.KEEP + events.PRUNE_EVERY
