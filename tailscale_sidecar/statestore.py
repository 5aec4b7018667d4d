"""tailscaled's state file (the node identity) kept encrypted in the database.

- `persist_state_file` stores a new encrypted version when the file changed and
  is valid; an empty or corrupt file never replaces a good version.
- `restore_state_file` writes the newest version back before tailscaled starts
  (atomically, 0600): the database wins over whatever is on disk.
- `StateDirWatcher` watches the state file's *directory*: tailscaled replaces the
  file by rename, so a watch on the file itself goes deaf after the first write.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

from tailscale_sidecar.crypto import get_cipher
from tailscale_sidecar.models import StoredState

logger = logging.getLogger(__name__)

# Any constant works: it only has to be the same in every process.
_PERSIST_LOCK_ID = 0x7473_7374  # "tsst"

StrPath = str | os.PathLike[str]


class InvalidState(ValueError):
    """The bytes are not a tailscaled state file; the message says why."""


def validate_state(data: bytes) -> dict:
    """The state as tailscaled writes it: a JSON object of base64 strings.

    Returns the parsed object (values still base64 text). `{}` is valid: it is
    what tailscaled writes for a fresh node.
    """
    if not data.strip():
        raise InvalidState("the file is empty")
    try:
        state = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidState("the file is not JSON") from None
    if not isinstance(state, dict):
        raise InvalidState(f"the file holds a JSON {type(state).__name__}, not an object")
    for key, value in state.items():
        if not isinstance(value, str):
            raise InvalidState(f"the value of {key!r} is not a base64 string")
        try:
            base64.b64decode(value, validate=True)
        except binascii.Error:
            raise InvalidState(f"the value of {key!r} is not valid base64") from None
    return state


def state_has_identity(state: dict) -> bool:
    """Whether the node has a machine key or a login profile (is not blank)."""
    return "_machinekey" in state or any(key.startswith("profile-") for key in state)


def persist_state_file(path: StrPath) -> StoredState | None:
    """Store the file as a new encrypted version if it is valid and changed.

    Returns the new row, or None when nothing was stored (missing, invalid or
    unchanged file). Exactly one INSERT per change, no write otherwise.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    try:
        validate_state(data)
    except InvalidState as exc:
        # Never the content: it holds private keys.
        logger.warning("not storing the Tailscale state file %s: %s", path, exc)
        return None
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        _serialize_persists()
        latest = StoredState.latest_version()
        if latest is not None and latest.sha256 == digest:
            return None
        row = StoredState.objects.create(
            sha256=digest, ciphertext=get_cipher().encrypt(data), size=len(data)
        )
    logger.info("stored Tailscale state version %s (%d bytes)", digest[:12], len(data))
    return row


def _serialize_persists() -> None:
    """Make compare-and-insert atomic across processes, so equal content lands once.

    Locking the newest row would not do: a second writer waiting on it still
    reads the old newest row afterwards. PostgreSQL gets a transaction-scoped
    advisory lock; SQLite's `BEGIN IMMEDIATE` (see settings) already takes the
    database write lock when the transaction starts.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PERSIST_LOCK_ID])


def restore_state_file(path: StrPath) -> bool:
    """Write the newest stored version to `path`; False when there is none.

    Raises StateKeyError (before touching the file) when the configured keys
    cannot decrypt it.
    """
    latest = StoredState.latest_version()
    if latest is None:
        return False
    data = get_cipher().decrypt(latest.ciphertext)
    write_atomically(Path(path), data)
    logger.info("restored Tailscale state version %s", latest.sha256[:12])
    return True


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so a crash leaves the old or the new file, whole.

    Same scheme as tailscaled: temp file in the same directory, fsync, 0600,
    rename, then fsync the directory so the rename itself is durable.
    """
    directory = path.parent
    if not directory.is_dir():
        directory.mkdir(mode=0o700, parents=True)
        directory.chmod(0o700)  # mkdir's mode is filtered by the umask
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f"{path.name}.tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, 0o600)
        os.replace(tmp_name, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def prune_state_versions(keep: int | None = None) -> int:
    """Delete all but the newest `keep` versions; returns how many went.

    `keep` defaults to settings.TAILSCALE_STATE_VERSIONS_KEPT.
    """
    keep = settings.TAILSCALE_STATE_VERSIONS_KEPT if keep is None else keep
    if keep < 1:
        raise ValueError("keep at least one state version: the newest is the node's identity")
    with transaction.atomic():
        old_ids = list(
            StoredState.objects.order_by("-created_at", "-id").values_list("id", flat=True)[keep:]
        )
        if not old_ids:
            return 0
        deleted, _ = StoredState.objects.filter(id__in=old_ids).delete()
    return deleted


class _StateFileEvents(FileSystemEventHandler):
    """Passes on events that leave a new state file in place."""

    def __init__(self, watcher: StateDirWatcher) -> None:
        self._watcher = watcher

    def dispatch(self, event: FileSystemEvent) -> None:
        target = event.dest_path if event.event_type == "moved" else event.src_path
        if event.event_type in ("created", "modified", "moved") and not event.is_directory:
            # Only the exact path: tailscaled's `<name>.tmp<digits>` files never match.
            if os.fsdecode(target) == self._watcher.path_str:
                self._watcher.mark_dirty()
        elif event.event_type == "deleted" and os.fsdecode(event.src_path) == self._watcher.dir_str:
            self._watcher.wake()


class StateDirWatcher:
    """Persists the state file shortly after each change, from one worker thread.

    Bursts are coalesced: `on_change` runs once `debounce` seconds pass without
    a new event, and never later than `max_delay` after the first one. A failing
    `on_change` (a database outage) keeps the change pending and is retried with
    backoff until it succeeds. Every `recheck_interval` seconds the watcher also
    re-arms a watch lost to the directory being deleted or replaced, and stats
    the file, so a change made while it was deaf is still stored. While the
    directory is missing it looks every UNWATCHED_RECHECK seconds instead.
    """

    RETRY_FIRST = 0.1
    RETRY_MAX = 10.0
    UNWATCHED_RECHECK = 0.1

    def __init__(
        self,
        state_path: StrPath,
        on_change: Callable[[Path], object] = persist_state_file,
        debounce: float = 0.05,
        *,
        max_delay: float = 0.2,
        recheck_interval: float = 1.0,
    ) -> None:
        self.path = Path(os.path.abspath(state_path))
        self.path_str = str(self.path)
        self.dir_str = str(self.path.parent)
        self._on_change = on_change
        self._debounce = debounce
        self._max_delay = max_delay
        self._recheck_interval = recheck_interval

        self._cond = threading.Condition()
        self._dirty = False
        self._first_event_at = 0.0
        self._last_event_at = 0.0
        self._retry_at = 0.0
        self._retry_delay = self.RETRY_FIRST
        self._next_check_at = 0.0
        self._stopping = False
        # Held while on_change runs, so flush() and the worker never overlap.
        self._run_lock = threading.Lock()
        self._seen_signature: tuple[int, int, int] | None = None

        self._observer: Observer | None = None
        self._watch: ObservedWatch | None = None
        self._watched_dir_id: tuple[int, int] | None = None
        self._worker: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------

    def start(self) -> None:
        self._observer = Observer()
        self._observer.start()
        # Armed here, not in the worker, so a write right after start() is seen;
        # the worker's first check then stores a file that predates the watch.
        self._rearm_if_needed()
        self._worker = threading.Thread(
            target=self._run, name=f"state-watcher:{self.path.name}", daemon=True
        )
        self._worker.start()

    def stop(self) -> None:
        """Stop watching. A pending change is not stored: call flush() first to keep it.

        (After a lost lease or before a reset, storing it would be wrong.)
        """
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._worker is not None:
            self._worker.join()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join()
        if self._dirty:
            logger.info("stopped watching with a Tailscale state change not stored")

    def flush(self) -> None:
        """Persist the file now, in the caller's thread (used at shutdown)."""
        with self._run_lock:
            with self._cond:
                self._dirty = False
            self._seen_signature = self._file_signature()
            try:
                self._on_change(self.path)
            except BaseException:
                self.mark_dirty()
                raise

    # --- events --------------------------------------------------------------

    def mark_dirty(self) -> None:
        now = time.monotonic()
        with self._cond:
            if not self._dirty:
                self._dirty = True
                self._first_event_at = now
            self._last_event_at = now
            self._cond.notify_all()

    def wake(self) -> None:
        """Re-check the watch now (the watched directory went away)."""
        with self._cond:
            self._next_check_at = 0.0
            self._cond.notify_all()

    # --- worker --------------------------------------------------------------

    def _run(self) -> None:
        try:
            while self._wait_until_due():
                self._run_once()
        finally:
            # This thread's own connection; others are untouched.
            connections.close_all()

    def _wait_until_due(self) -> bool:
        """Block until on_change is due; False once stopping."""
        while True:
            now = time.monotonic()
            if now >= self._next_check_at:
                self._recheck()
                # Without a watch (the directory is gone), look again soon so a
                # re-created directory is watched before tailscaled writes much.
                interval = self._recheck_interval
                if self._watch is None:
                    interval = min(interval, self.UNWATCHED_RECHECK)
                self._next_check_at = now + interval
            with self._cond:
                if self._stopping:
                    return False
                due = self._next_check_at
                if self._dirty:
                    quiet_at = self._last_event_at + self._debounce
                    deadline = self._first_event_at + self._max_delay
                    change_due = max(min(quiet_at, deadline), self._retry_at)
                    if change_due <= now:
                        return True
                    due = min(due, change_due)
                self._cond.wait(max(due - now, 0.0))

    def _run_once(self) -> None:
        close_old_connections()
        try:
            self.flush()
        except Exception:
            delay = self._retry_delay
            self._retry_at = time.monotonic() + delay
            self._retry_delay = min(delay * 2, self.RETRY_MAX)
            logger.exception("could not store the Tailscale state; retrying in %.1f s", delay)
        else:
            self._retry_at = 0.0
            self._retry_delay = self.RETRY_FIRST
        finally:
            close_old_connections()

    def _recheck(self) -> None:
        self._rearm_if_needed()
        signature = self._file_signature()
        if signature is not None and signature != self._seen_signature:
            self.mark_dirty()

    def _file_signature(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _rearm_if_needed(self) -> None:
        """Watch the directory that is at the path now, if the current watch is dead."""
        try:
            st = os.stat(self.dir_str)
            dir_id = (st.st_dev, st.st_ino)
        except FileNotFoundError:
            dir_id = None
        if self._watch is not None and dir_id == self._watched_dir_id and self._watch_alive():
            return
        if self._watch is not None:
            with suppress(KeyError):
                self._observer.unschedule(self._watch)
            self._watch = None
            self._watched_dir_id = None
        if dir_id is None:
            return
        try:
            self._watch = self._observer.schedule(_StateFileEvents(self), self.dir_str)
        except OSError:
            logger.exception(
                "cannot watch %s; checking it every %.0f s", self.dir_str, self._recheck_interval
            )
            return
        self._watched_dir_id = dir_id
        if self.path.exists():
            # It may have been written while nothing was watching.
            self.mark_dirty()

    def _watch_alive(self) -> bool:
        # The inotify emitter stops itself when its directory is deleted.
        return any(
            emitter.watch == self._watch and emitter.is_alive()
            for emitter in self._observer.emitters
        )
