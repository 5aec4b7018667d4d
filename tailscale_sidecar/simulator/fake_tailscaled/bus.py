"""The IPN bus: ipn.Notify messages fanned out to watch-ipn-bus streams."""

from __future__ import annotations

import queue
import threading
import uuid

# ipn.NotifyWatchOpt bits (ipn/backend.go).
INITIAL_STATE = 2
INITIAL_PREFS = 4
INITIAL_NETMAP = 8
INITIAL_HEALTH_STATE = 128
RATE_LIMIT = 256
PEER_CHANGES = 4096
NO_NETMAP = 8192
INITIAL_STATUS = 16384
PEER_PATCHES = 32768
IN_PROCESS_NO_DISCONNECT = 65536
NOT_WITH_RATE_LIMIT = PEER_CHANGES | NO_NETMAP | INITIAL_STATUS | PEER_PATCHES

# A watcher that falls this far behind is disconnected, as in tailscaled.
QUEUE_LIMIT = 128


class BadMask(ValueError):
    pass


def parse_mask(raw: str) -> int:
    try:
        mask = int(raw or "0")
        if mask < 0 or mask >= 2**64:
            raise ValueError
    except ValueError:
        raise BadMask("bad mask") from None
    if mask & IN_PROCESS_NO_DISCONNECT:
        raise BadMask("NotifyInProcessNoDisconnect is not allowed over LocalAPI")
    if mask & RATE_LIMIT and mask & NOT_WITH_RATE_LIMIT:
        raise BadMask("NotifyRateLimit cannot be combined with the requested notify options")
    return mask


def notify(version: str, **fields: object) -> dict:
    """An ipn.Notify in Go's field order: non-omitempty fields are null when unset."""
    message: dict = {"Version": version}
    if fields.get("SessionID"):
        message["SessionID"] = fields["SessionID"]
    for name in ("ErrMessage", "LoginFinished", "State", "Prefs"):
        message[name] = fields.get(name)
    for name in ("SelfChange", "InitialStatus"):
        if fields.get(name) is not None:
            message[name] = fields[name]
    message["NetMap"] = fields.get("NetMap")
    message["Engine"] = None
    message["BrowseToURL"] = fields.get("BrowseToURL")
    message["DriveShares"] = None
    if fields.get("Health") is not None:
        message["Health"] = fields["Health"]
    return message


class Watcher:
    def __init__(self, mask: int) -> None:
        self.mask = mask
        # Every watcher is a session; foreground serve configs live as long as theirs.
        self.session_id = uuid.uuid4().hex
        self.messages: queue.Queue[dict | None] = queue.Queue(maxsize=QUEUE_LIMIT)


class Bus:
    def __init__(self) -> None:
        self._watchers: set[Watcher] = set()
        self._lock = threading.Lock()

    def add(self, watcher: Watcher) -> None:
        with self._lock:
            self._watchers.add(watcher)

    def remove(self, watcher: Watcher) -> None:
        with self._lock:
            self._watchers.discard(watcher)

    def session_ids(self) -> set[str]:
        with self._lock:
            return {watcher.session_id for watcher in self._watchers}

    def send(self, message: dict) -> None:
        with self._lock:
            watchers = list(self._watchers)
        for watcher in watchers:
            try:
                watcher.messages.put_nowait(message)
            except queue.Full:
                self.remove(watcher)
                # A None tells the stream to end: the slow reader is cut off.
                watcher.messages.queue.clear()
                watcher.messages.put_nowait(None)
