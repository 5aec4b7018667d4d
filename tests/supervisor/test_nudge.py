"""Nudges: never raise or stall without Redis; wake the listener through real Redis."""

import socket
import threading
import time

from tailscale_sidecar.nudge import NudgeListener, nudge_supervisor


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_it_is_silent_and_quick_when_redis_is_down(settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    started = time.monotonic()
    nudge_supervisor()
    assert time.monotonic() - started < 1.0


def test_it_does_nothing_without_redis(settings):
    settings.REDIS_URL = ""
    nudge_supervisor()


def test_the_listener_wakes_on_a_nudge(settings, redis_url):
    settings.REDIS_URL = redis_url
    event = threading.Event()
    listener = NudgeListener(event)
    listener.start()
    try:
        # It sets the event once subscribed (a nudge sent before that was lost).
        assert event.wait(10)
        event.clear()
        nudge_supervisor()
        assert event.wait(5)
    finally:
        listener.stop()
