"""StateKeeper: tailscaled's state file on disk, its watcher, and its copy in the DB.

Owns the StateDirWatcher for as long as this supervisor holds the lease. The
database copy never overwrites a newer file of our own: before a restore, the
watcher's pending change is stored; if that fails, tailscaled starts from the
file on disk.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from django.db import DatabaseError

from tailscale_sidecar.models import StoredState
from tailscale_sidecar.state.store import restore_state_file
from tailscale_sidecar.state.watcher import StateDirWatcher
from tailscale_sidecar.supervisor.child import STATE_FILE_NAME, private_dir

log = logging.getLogger(__name__)


class StateKeeper:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.path = state_dir / STATE_FILE_NAME
        self.watcher: StateDirWatcher | None = None

    def restore(self) -> None:
        """Put the DB's newest state on disk (the DB wins), then watch the file.

        Raises StateKeyError when the stored copy cannot be decrypted, and
        DatabaseError when the DB is down and there is no file to start from.
        """
        if self.watcher is not None and not self.flush():
            # Our own latest change is newer than anything in the DB: keep it.
            log.warning("starting from the state file on disk: its latest change is not stored yet")
            return
        try:
            restore_state_file(self.path)
        except DatabaseError as exc:
            if not self.path.exists():
                raise
            log.warning("database unreachable; starting from the state file on disk: %s", exc)
        if self.watcher is None:
            self.watcher = StateDirWatcher(self.path)
            self.watcher.start()

    def flush(self) -> bool:
        """Store a pending change now; False when it could not be stored."""
        if self.watcher is None:
            return True
        try:
            self.watcher.flush()
        except Exception as exc:
            log.warning("could not store the latest Tailscale state yet: %s", exc)
            return False
        return True

    def stop(self, flush: bool) -> None:
        """Stop watching; `flush=False` drops a pending change (it is not ours to store)."""
        if self.watcher is None:
            return
        if flush:
            self.flush()
        self.watcher.stop()
        self.watcher = None

    def exists(self) -> bool:
        """Is there an identity to start from, on disk or in the DB?"""
        return self.path.exists() or StoredState.objects.exists()

    def wipe(self) -> None:
        """Forget the node: the state dir and every stored version."""
        self.stop(flush=False)
        shutil.rmtree(self.state_dir, ignore_errors=True)
        private_dir(self.state_dir)
        StoredState.objects.all().delete()
