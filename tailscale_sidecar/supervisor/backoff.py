"""Bounded exponential backoff for restarting tailscaled."""

from __future__ import annotations

import time
from collections.abc import Sequence


class Backoff:
    """Hands out the configured delays once each, then None (give up).

    `attempts` is the number of restarts used so far. The counter goes back to
    zero after the child has been healthy for `stable_after` seconds, so a
    crash once a day never adds up to `failed`.
    """

    def __init__(self, delays: Sequence[float], stable_after: float) -> None:
        self.delays = list(delays)
        self.stable_after = stable_after
        self.attempts = 0
        self._healthy_since: float | None = None

    def next_delay(self) -> float | None:
        self._healthy_since = None
        if self.attempts >= len(self.delays):
            return None
        delay = self.delays[self.attempts]
        self.attempts += 1
        return delay

    def reset(self) -> None:
        self.attempts = 0
        self._healthy_since = None

    def note_healthy(self, now: float | None = None) -> bool:
        """Record a healthy observation; True when this reset the counter."""
        now = time.monotonic() if now is None else now
        if self._healthy_since is None:
            self._healthy_since = now
            return False
        if self.attempts and now - self._healthy_since >= self.stable_after:
            self.attempts = 0
            return True
        return False

    def note_unhealthy(self) -> None:
        self._healthy_since = None
