"""Server-sent events for the Settings page: the status, each time it changes.

`GET /api/v1/tailscale/stream` (a staff session or an API token, like the
status API) sends `event: status` with the status JSON at once and again
whenever it changes, and `event: events` with the newest event's id at once
and whenever the timeline grows. The change signal is cheap: every `POLL_INTERVAL` the
stream asks SQLite for `PRAGMA data_version` (no table is read) and rebuilds
the status only after another connection committed, or every `REBUILD_EVERY`
for what changes with time alone (a heartbeat going stale). On PostgreSQL it
reads the two status rows each time (two primary-key lookups).

Each stream holds a web server thread, so a stream ends after `MAX_LIFETIME`
with a reconnect hint (the browser's EventSource reconnects by itself), ends
as soon as its client has gone (under gunicorn, which hands the view its
socket; elsewhere at the next write that fails), and at most `MAX_STREAMS` run
at once per process: beyond that, after waiting `SLOT_WAIT` for one to end, the
answer is a 503 and the page polls the status API instead.
"""

from __future__ import annotations

import json
import os
import select
import socket
import threading
import time
from collections.abc import Callable, Generator, Iterator

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from tailscale_sidecar.events import latest_id
from tailscale_sidecar.web.status import load_status

POLL_INTERVAL = 0.15
REBUILD_EVERY = 2.0
KEEPALIVE_EVERY = 15.0
MAX_LIFETIME = 60.0
RECONNECT_MS = 500
# A page that reloads opens its new stream while its old one is still ending.
SLOT_WAIT = 1.0
# A stream holds one gunicorn thread (WEB_THREADS per worker in
# deploy/gunicorn.conf.py): always leave one for the page's other requests.
MAX_STREAMS = max(1, int(os.environ.get("WEB_THREADS", "4")) - 1)

_slots = threading.BoundedSemaphore(MAX_STREAMS)

# The 200 answer in the API schema: a stream, not one JSON body.
STREAM_OPENAPI = {
    "responses": {
        "200": {
            "description": "`event: status` frames (the status JSON, as GET /tailscale serves it) "
            'and `event: events` frames (`{"latest": <newest event id>}`), sent at once and on '
            "each change; the stream ends after 60 s with a `retry:` hint.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    }
}


def status_json() -> str:
    """The status exactly as `GET /api/v1/tailscale` serves it, key-sorted."""
    status = load_status()[2].model_dump(mode="json")
    return json.dumps(status, sort_keys=True, separators=(",", ":"))


def _data_version() -> int | None:
    """SQLite's count of commits by other connections; None where there is none."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA data_version")
        return cursor.fetchone()[0]


def _peer_closed(sock: socket.socket | None) -> bool:
    """True once the client has closed its end (its next bytes would be none)."""
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, ValueError):  # nothing to read; a TLS socket can't be peeked at
        return False
    except OSError:  # the connection broke
        return True


def _frame(event: str, data: str) -> str:
    return f"event: {event}\ndata: {data}\n\n"


class StatusStream:
    """The response body: an iterator whose close() (called by the server) frees the slot."""

    def __init__(
        self, release: Callable[[], None], lifetime: float, client: socket.socket | None = None
    ) -> None:
        self._release: Callable[[], None] | None = release
        self._client = client
        self._frames = self._generate(time.monotonic() + lifetime)

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        return next(self._frames)

    def close(self) -> None:
        self._frames.close()
        if self._release is not None:
            self._release()
            self._release = None

    def _generate(self, deadline: float) -> Generator[str, None, None]:
        yield f"retry: {RECONNECT_MS}\n\n"
        # Sentinels equal to nothing: the first look sends both frames.
        sent_status: str | None = None
        sent_event: object = object()
        version: object = object()
        built_at = sent_at = time.monotonic()
        while True:
            now = time.monotonic()
            try:
                current = _data_version()
                if current is None or current != version or now - built_at >= REBUILD_EVERY:
                    version, built_at = current, now
                    status, event = status_json(), latest_id()
                    if status != sent_status:
                        sent_status, sent_at = status, now
                        yield _frame("status", status)
                    if event != sent_event:
                        sent_event, sent_at = event, now
                        yield _frame("events", json.dumps({"latest": event}))
            except DatabaseError:
                return  # the browser reconnects, and polls meanwhile
            if now - sent_at >= KEEPALIVE_EVERY:
                sent_at = now
                yield ": keepalive\n\n"  # also finds a client that went away
            if now >= deadline or _peer_closed(self._client):
                return
            time.sleep(POLL_INTERVAL)


def status_stream(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """An event stream of status changes, or a 503 when all stream slots are taken."""
    if not _slots.acquire(timeout=SLOT_WAIT):
        busy = HttpResponse(
            json.dumps({"detail": "Too many live streams; poll GET /api/v1/tailscale instead."}),
            status=503,
            content_type="application/json",
        )
        busy["Retry-After"] = "5"
        return busy
    response = StreamingHttpResponse(
        StatusStream(_slots.release, MAX_LIFETIME, request.META.get("gunicorn.socket")),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    # A reverse proxy must pass each event on at once, not buffer the stream.
    response["X-Accel-Buffering"] = "no"
    return response
