"""Is the supervisor alive? One rule, written by the supervisor, read by the page.

The supervisor's every ObservedStatus write carries `supervisor_heartbeat_at`;
with nothing else to write it writes the heartbeat alone every
HEARTBEAT_INTERVAL. Its loop wakes at least every TAILSCALE_POLL_INTERVAL
(2 s), so a live supervisor's heartbeat is never much older than the interval;
STALE_AFTER leaves room for a slow tick (a `start` or a stop can take seconds)
and still tells the page about a dead supervisor within 30 s.
"""

from __future__ import annotations

from datetime import datetime, timedelta

HEARTBEAT_INTERVAL = 15.0
STALE_AFTER = timedelta(seconds=25)


def heartbeat_fresh(beat: datetime | None, now: datetime) -> bool:
    """True while the heartbeat says a supervisor is alive."""
    return beat is not None and now - beat <= STALE_AFTER
