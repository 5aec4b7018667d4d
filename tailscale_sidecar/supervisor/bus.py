"""Follow tailscaled's IPN bus in a thread and hand every message to the supervisor.

The thread decides nothing and writes nothing: it passes each Notify on (the
NodeRun queues it and wakes the loop).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from tailscale_sidecar.localapi import IpnBusStream, LocalAPIClient, LocalAPIError, Notify

log = logging.getLogger(__name__)

# InitialState | InitialPrefs | InitialHealthState: the first message is a
# snapshot, so nothing that happened before we connected is missed.
BUS_MASK = 2 | 4 | 128
_RECONNECT_DELAY = 0.5


class BusWorker:
    """Reads the bus of one tailscaled run until stopped or the daemon goes away."""

    def __init__(self, socket_path: str, on_notify: Callable[[Notify], None]) -> None:
        self.socket_path = socket_path
        self.on_notify = on_notify
        self._stop = threading.Event()
        self._stream: IpnBusStream | None = None
        # Guards _stream between this thread and stop() called from the loop.
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="ipn-bus", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            if self._stream is not None:
                self._stream.close()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._follow()
            except LocalAPIError as exc:
                log.debug("IPN bus ended: %s", exc)
            except Exception:
                log.exception("IPN bus handler failed; reconnecting")
            self._stop.wait(_RECONNECT_DELAY)

    def _follow(self) -> None:
        with (
            LocalAPIClient(self.socket_path) as client,
            client.watch_ipn_bus(mask=BUS_MASK) as stream,
        ):
            with self._lock:
                self._stream = stream
            if self._stop.is_set():
                return
            for notify in stream:
                self.on_notify(notify)
            with self._lock:
                self._stream = None
