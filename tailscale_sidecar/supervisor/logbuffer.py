"""The last lines tailscaled printed, redacted, for the page and for `failed` messages."""

from __future__ import annotations

import collections
import threading

from tailscale_sidecar.supervisor.redact import redact


class LogBuffer:
    """A bounded, thread-safe ring of redacted lines with a change counter."""

    def __init__(self, maxlen: int = 200) -> None:
        self._lines: collections.deque[str] = collections.deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self._version = 0

    def append(self, line: str) -> None:
        clean = redact(line.rstrip("\r\n"))
        with self._lock:
            self._lines.append(clean)
            self._version += 1

    @property
    def version(self) -> int:
        """Grows on every append: lets a writer skip unchanged snapshots."""
        with self._lock:
            return self._version

    def lines(self, last: int | None = None) -> list[str]:
        with self._lock:
            lines = list(self._lines)
        return lines[-last:] if last else lines
