"""Watch the state file's *directory* and persist each change.

tailscaled replaces its state file by rename, so a watch on the file itself
goes deaf after the first write; a watch on the directory sees every rename.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from django.db import close_old_connections, connections
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from tailscale_sidecar.state.store import StrPath, persist_state_file

logger = logging.getLogger(__name__)


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

        self._observer: BaseObserver | None = None
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
        observer = self._observer
        if observer is None:
            return  # not started, or stopped
        try:
            st = os.stat(self.dir_str)
            dir_id = (st.st_dev, st.st_ino)
        except FileNotFoundError:
            dir_id = None
        if self._watch is not None and dir_id == self._watched_dir_id and self._watch_alive():
            return
        if self._watch is not None:
            with suppress(KeyError):
                observer.unschedule(self._watch)
            self._watch = None
            self._watched_dir_id = None
        if dir_id is None:
            return
        try:
            self._watch = observer.schedule(_StateFileEvents(self), self.dir_str)
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
        observer = self._observer
        return observer is not None and any(
            emitter.watch == self._watch and emitter.is_alive() for emitter in observer.emitters
        )
