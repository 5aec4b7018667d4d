"""Through gunicorn: a change another process writes reaches an open stream within a second."""

import json
import time

import httpx
import pytest

from tailscale_sidecar.models import ObservedStatus
from tailscale_sidecar.web.tokens import create_token


def events_of(lines):
    """(event, data) pairs from an SSE line iterator."""
    event = None
    for line in lines:
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: ") and event:
            yield event, json.loads(line[len("data: ") :])
            event = None


@pytest.fixture
def token(django_user_model) -> str:
    owner = django_user_model.objects.create_user("owner", password="x", is_staff=True)
    return create_token(owner, "stream")[1]


@pytest.mark.django_db(transaction=True)
def test_a_change_reaches_the_stream_within_a_second(web_server, token):
    server = web_server()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.stream(
        "GET", server.url + "/api/v1/tailscale/stream", headers=headers, timeout=10
    ) as r:
        assert r.status_code == 200
        stream = events_of(r.iter_lines())
        event, status = next(stream)
        assert (event, status["phase"]) == ("status", "disabled")
        assert next(stream) == ("events", {"latest": None})

        delays = []
        for n in range(3):
            changed_at = time.monotonic()
            ObservedStatus.write(phase="running", hostname=f"web-{n}")
            event, status = next(stream)
            delays.append(time.monotonic() - changed_at)
            assert (event, status["hostname"]) == ("status", f"web-{n}")
    print(f"change-to-event delays: {[round(d, 3) for d in delays]}")
    assert max(delays) < 1.0, delays


@pytest.mark.django_db(transaction=True)
def test_a_stream_whose_client_left_frees_its_thread_at_once(web_server, token):
    # 4 threads: 3 stream slots. Without noticing closed clients the 4th would wait, then 503.
    server = web_server(WEB_THREADS="4")
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(6):
        started = time.monotonic()
        with httpx.stream(
            "GET", server.url + "/api/v1/tailscale/stream", headers=headers, timeout=10
        ) as r:
            assert r.status_code == 200
            # Both first frames read: the server has nothing more to write and sleeps.
            frames = events_of(r.iter_lines())
            assert [next(frames)[0], next(frames)[0]] == ["status", "events"]
        assert time.monotonic() - started < 0.9
