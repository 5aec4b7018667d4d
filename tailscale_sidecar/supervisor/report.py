"""StatusReporter: every write of ObservedStatus, from the loop thread only.

A field is written only when its value differs from what this supervisor last
wrote, so an idle Running node does not rewrite the row. Every write carries
the heartbeat; with nothing to write, the heartbeat alone is written once
`HEARTBEAT_INTERVAL` has passed (tailscale_sidecar.liveness: the page reads
the same rule).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Any

from django.db import DatabaseError, connections
from django.utils import timezone

from tailscale_sidecar.liveness import HEARTBEAT_INTERVAL
from tailscale_sidecar.models import ObservedStatus
from tailscale_sidecar.supervisor.logbuffer import LogBuffer
from tailscale_sidecar.supervisor.timeline import Timeline

log = logging.getLogger(__name__)

LOG_TAIL_WRITE_INTERVAL = 1.0


class StatusReporter:
    def __init__(self, logs: LogBuffer) -> None:
        self.supervisor_id = f"{socket.gethostname()}:{os.getpid()}"
        self.logs = logs
        self._written: dict[str, Any] = {}
        self._last_beat = float("-inf")
        self._log_version_written = 0
        self._last_log_write = float("-inf")
        self._db_error_logged = False
        self.timeline = Timeline()

    def forget(self) -> None:
        """Write everything again: someone else may have written the row meanwhile."""
        self._written.clear()
        self._last_beat = float("-inf")

    def observe(self, **fields: Any) -> None:
        """Write the fields that changed since our last write, with the heartbeat."""
        changed = {k: v for k, v in fields.items() if self._written.get(k, ...) != v}
        if changed:
            self._write(changed)

    def heartbeat(self) -> None:
        """Say we are alive, if no write has said so for HEARTBEAT_INTERVAL."""
        if time.monotonic() - self._last_beat >= HEARTBEAT_INTERVAL:
            self._write({})

    def heartbeat_due_in(self) -> float:
        return max(0.0, self._last_beat + HEARTBEAT_INTERVAL - time.monotonic())

    def write_log_tail(self, force: bool = False) -> None:
        """The redacted output tail, at most once a LOG_TAIL_WRITE_INTERVAL."""
        version = self.logs.version
        if version == self._log_version_written:
            return
        now = time.monotonic()
        if not force and now - self._last_log_write < LOG_TAIL_WRITE_INTERVAL:
            return
        self._last_log_write = now
        self._log_version_written = version
        self.observe(log_tail=self.logs.lines())

    def log_tail_due_in(self) -> float | None:
        """Seconds until unwritten output should be written; None when there is none."""
        if self.logs.version == self._log_version_written:
            return None
        return max(0.0, self._last_log_write + LOG_TAIL_WRITE_INTERVAL - time.monotonic())

    def db_unavailable(self, exc: Exception) -> None:
        if not self._db_error_logged:
            log.warning("database unavailable (tailscaled keeps running): %s", exc)
            self._db_error_logged = True
        # A broken connection is reopened on the next query.
        connections["default"].close()

    def db_reachable(self) -> None:
        if self._db_error_logged:
            log.info("database reachable again")
            self._db_error_logged = False

    def _write(self, changed: dict[str, Any]) -> None:
        try:
            ObservedStatus.write(
                **changed,
                supervisor_id=self.supervisor_id,
                supervisor_heartbeat_at=timezone.now(),
            )
        except DatabaseError as exc:
            self.db_unavailable(exc)
            return
        self._last_beat = time.monotonic()
        before = dict(self._written)
        self._written.update(changed)
        if changed:
            self.timeline.observed(before, self._written)
