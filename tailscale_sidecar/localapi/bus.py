"""The IPN bus stream: one ipn.Notify JSON object per line, for as long as it is open."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from collections.abc import Iterator

import httpx

from .datatypes import Notify
from .errors import DaemonUnreachable, LocalAPITimeout

logger = logging.getLogger(__name__)


class IpnBusStream(Iterator[Notify]):
    """Iterates Notify messages; `close()` ends the iteration, from any thread.

    Closing shuts the socket down instead of only closing it, because on Linux
    a plain close() does not wake a thread blocked in recv() on that socket.
    """

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self._lines = response.iter_lines()
        self._closed = threading.Event()

    def __next__(self) -> Notify:
        while True:
            try:
                line = next(self._lines)
            except StopIteration:
                self._closed.set()
                raise
            except httpx.HTTPError as exc:
                if self._closed.is_set():
                    raise StopIteration from None
                self._closed.set()
                if isinstance(exc, httpx.TimeoutException):
                    raise LocalAPITimeout(f"IPN bus stream timed out: {exc}") from exc
                raise DaemonUnreachable(f"IPN bus stream broke: {exc}") from exc
            if self._closed.is_set():
                raise StopIteration
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except ValueError:
                logger.warning("skipping an IPN bus line that is not JSON (%d bytes)", len(line))
                continue
            if isinstance(data, dict):
                return Notify.from_json(data)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        """Stop the stream; a thread blocked reading it sees the iteration end."""
        if self._closed.is_set():
            return
        self._closed.set()
        sock = self._socket()
        if sock is None:
            return
        with contextlib.suppress(OSError):  # the peer may have closed it already
            sock.shutdown(socket.SHUT_RDWR)

    def _socket(self) -> socket.socket | None:
        stream = self._response.extensions.get("network_stream")
        if stream is None:
            return None
        sock = stream.get_extra_info("socket")
        return sock if isinstance(sock, socket.socket) else None
