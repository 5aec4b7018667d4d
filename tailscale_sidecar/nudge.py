"""Wake the supervisor when the desired configuration changes.

Two paths, both best effort: a datagram on a unix socket in the supervisor's
run dir (the web and the supervisor share it in the one-container design, so
this needs nothing but the file system), and, when REDIS_URL is set, a Redis
pub/sub message (which also reaches a supervisor on another machine). The
supervisor's `NudgeListener` sets an event on either, which wakes its loop.
Nudges are only an optimisation: the supervisor also polls
`DesiredConfig.generation`, so a lost nudge delays a change by one poll interval.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from tailscale_sidecar import rundir

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

CHANNEL = "tracearr:tailscale:nudge"
# A nudge must never slow a web request down noticeably.
_PUBLISH_TIMEOUT = 0.2
_RECONNECT_DELAYS = (0.5, 1.0, 2.0, 5.0)


def socket_path() -> Path:
    """Where the supervisor listens for datagrams: `<run dir>/supervisor-nudge.sock` (rundir.py)."""
    return rundir.socket_path(rundir.NUDGE_SOCKET)


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


@cache
def _sender() -> socket.socket:
    """One unbound, non-blocking datagram socket per process (sendto is thread-safe)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setblocking(False)
    return sock


def _send_datagram() -> None:
    try:
        _sender().sendto(b"1", str(socket_path()))
    except (FileNotFoundError, ConnectionRefusedError, BlockingIOError):
        # No supervisor here, a stale socket, or its queue is full (it is awake anyway).
        pass
    except OSError as exc:
        log.debug("could not nudge the supervisor through its socket: %s", exc)


def nudge_supervisor() -> None:
    """Tell the supervisor to look at the desired configuration now (best effort)."""
    _send_datagram()
    if not settings.REDIS_URL:
        return
    try:
        _publisher(settings.REDIS_URL).publish(CHANNEL, b"1")
    except Exception as exc:  # a nudge is an optimisation; polling covers its loss
        log.debug("could not nudge the supervisor: %s", exc)


@dataclass(frozen=True)
class _BoundSocket:
    """The listening socket and what goes with it: made in bind(), undone in unbind()."""

    sock: socket.socket
    inode: int  # to tell our socket file from one another process bound later
    thread: threading.Thread
    # Writing to the pipe wakes the receiving thread's select() so it can return.
    wake_read: int
    wake_write: int


class NudgeListener:
    """Sets `event` on every nudge.

    `start()` subscribes to Redis (when configured; it reconnects with backoff
    while Redis is down). `bind()` listens on the run dir's socket: only the
    supervisor holding the lease calls it, since binding takes the path over.
    """

    def __init__(self, event: threading.Event) -> None:
        self.event = event
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nudge-listener", daemon=True)
        self._bound: _BoundSocket | None = None

    def start(self) -> None:
        if settings.REDIS_URL:
            self._thread.start()

    def bind(self) -> None:
        """Listen on `socket_path()` (idempotent); a failure only costs the fast path."""
        if self._bound is not None:
            return
        path = socket_path()
        try:
            rundir.make_socket_dir(rundir.NUDGE_SOCKET)
            # We hold the lease, so a socket left at this path is a dead supervisor's.
            if path.is_socket():
                path.unlink()
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(str(path))
            inode = path.stat().st_ino
        except OSError as exc:
            log.warning("not listening for nudges on %s (%s); polling covers it", path, exc)
            return
        wake_read, wake_write = os.pipe()
        thread = threading.Thread(
            target=self._receive, args=(sock, wake_read), name="nudge-socket", daemon=True
        )
        self._bound = _BoundSocket(sock, inode, thread, wake_read, wake_write)
        thread.start()
        # A nudge sent before the socket existed was lost: look once now.
        self.event.set()

    def unbind(self) -> None:
        """Stop listening on the socket and remove it (unless another process took the path)."""
        bound, self._bound = self._bound, None
        if bound is None:
            return
        os.write(bound.wake_write, b"x")
        bound.thread.join(timeout=2)
        os.close(bound.wake_read)
        os.close(bound.wake_write)
        path = socket_path()
        try:
            if path.stat().st_ino == bound.inode:
                path.unlink()
        except OSError:
            pass
        bound.sock.close()

    def stop(self) -> None:
        self.unbind()
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def _receive(self, sock: socket.socket, unbind_fd: int) -> None:
        while True:
            readable, _, _ = select.select([sock.fileno(), unbind_fd], [], [])
            if unbind_fd in readable:
                return
            try:
                sock.recv(64, socket.MSG_DONTWAIT)
            except BlockingIOError:
                continue
            self.event.set()

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
