"""Wake the supervisor when the desired configuration changes.

The web publishes on a Redis channel; the supervisor's `NudgeListener`
subscribes and sets an event that wakes its loop. Nudges are only an
optimisation: the supervisor also polls `DesiredConfig.generation`, so a lost
nudge (Redis down, not configured) delays a change by one poll interval.
"""

from __future__ import annotations

import logging
import threading
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

CHANNEL = "tracearr:tailscale:nudge"
# A nudge must never slow a web request down noticeably.
_PUBLISH_TIMEOUT = 0.2
_RECONNECT_DELAYS = (0.5, 1.0, 2.0, 5.0)


def _client(url: str, timeout: float | None) -> redis.Redis:
    # Imported here: without REDIS_URL no process needs the Redis client at all.
    import redis

    return redis.Redis.from_url(
        url, socket_connect_timeout=_PUBLISH_TIMEOUT, socket_timeout=timeout
    )


@cache
def _publisher(url: str) -> redis.Redis:
    """One pooled client per process, so a nudge reuses its connection."""
    return _client(url, _PUBLISH_TIMEOUT)


def nudge_supervisor() -> None:
    """Tell the supervisor to look at the desired configuration now (best effort)."""
    if not settings.REDIS_URL:
        return
    try:
        _publisher(settings.REDIS_URL).publish(CHANNEL, b"1")
    except Exception as exc:  # a nudge is an optimisation; polling covers its loss
        log.debug("could not nudge the supervisor: %s", exc)


class NudgeListener:
    """Sets `event` on every nudge; reconnects with backoff while Redis is down."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nudge-listener", daemon=True)

    def start(self) -> None:
        if settings.REDIS_URL:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._listen()
                failures = 0
            except Exception as exc:
                delay = _RECONNECT_DELAYS[min(failures, len(_RECONNECT_DELAYS) - 1)]
                if failures == 0:
                    log.warning("nudge listener lost Redis (%s); polling covers it", exc)
                failures += 1
                self._stop.wait(delay)

    def _listen(self) -> None:
        # The read timeout lets the thread notice stop() while the channel is quiet.
        import redis

        client = _client(settings.REDIS_URL, timeout=1.0)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(CHANNEL)
            # A nudge sent while we were disconnected is lost: look once now.
            self.event.set()
            while not self._stop.is_set():
                try:
                    message = pubsub.get_message(timeout=1.0)
                except redis.TimeoutError:
                    continue
                if message is not None:
                    self.event.set()
        finally:
            pubsub.close()
            client.close()
