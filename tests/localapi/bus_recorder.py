"""Reads the IPN bus on a thread so a test can wait for a message with a timeout."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tailscale_sidecar.localapi import IpnBusStream, LocalAPIClient, LocalAPIError, Notify


class BusRecorder:
    def __init__(self, client: LocalAPIClient, mask: int = 0) -> None:
        self._client = client
        self._mask = mask
        self._changed = threading.Condition()
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bus-recorder", daemon=True)
        self.stream: IpnBusStream | None = None
        self.messages: list[Notify] = []
        self.error: LocalAPIError | None = None

    def __enter__(self) -> BusRecorder:
        self._thread.start()
        if not self._opened.wait(15) or self.stream is None:
            raise AssertionError(f"the IPN bus did not open: {self.error!r}")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.stream is not None:
            self.stream.close()
        self._thread.join(10)
        assert not self._thread.is_alive(), "the IPN bus reader did not stop"

    def mark(self) -> int:
        """A position; `wait(..., since=mark)` only looks at later messages."""
        with self._changed:
            return len(self.messages)

    def wait(
        self,
        predicate: Callable[[Notify], bool],
        *,
        since: int = 0,
        timeout: float = 15.0,
        what: str = "a matching message",
    ) -> Notify:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for message in self.messages[since:]:
                    if predicate(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._thread.is_alive():
                    raise AssertionError(
                        f"no IPN bus message was {what} within {timeout}s "
                        f"(error: {self.error!r}); saw {self.messages!r}"
                    )
                self._changed.wait(min(remaining, 0.5))

    def _run(self) -> None:
        try:
            with self._client.watch_ipn_bus(self._mask) as stream:
                self.stream = stream
                self._opened.set()
                for message in stream:
                    with self._changed:
                        self.messages.append(message)
                        self._changed.notify_all()
        except LocalAPIError as exc:
            self.error = exc
        finally:
            self._opened.set()
            with self._changed:
                self._changed.notify_all()
