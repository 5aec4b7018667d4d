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


@pytest.mark.django_db(transaction=True)
def test_a_change_reaches_the_stream_within_a_second(web_server, django_user_model):
    owner = django_user_model.objects.create_user("owner", password="x", is_staff=True)
    token = create_token(owner, "stream")[1]
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
