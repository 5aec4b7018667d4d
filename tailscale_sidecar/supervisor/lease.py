"""Exactly one supervisor per node identity.

Two tailscaleds with the same state would fight over one node key, so a
supervisor must hold the lease before it touches tailscaled. PostgreSQL: a
session advisory lock on a connection kept for the process lifetime (it goes
away with the process, however it dies). SQLite: an exclusive flock on a file
next to the database file (also released by the kernel when the process dies).
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)

# pg advisory lock key: "tracearr-tailscale" folded into a signed 64-bit int.
ADVISORY_LOCK_KEY = 0x7472_6163_7473_0001
LOCK_FILE_NAME = "tailscale-supervisor.lock"


class Lease:
    def try_acquire(self) -> bool:
        """Take the lease if it is free; never blocks."""
        raise NotImplementedError

    def still_held(self) -> bool:
        """False once we know another supervisor may hold it (lost DB session)."""
        return True

    def release(self) -> None:
        raise NotImplementedError


class FileLease(Lease):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class PostgresLease(Lease):
    def __init__(self) -> None:
        self._conn = None

    def try_acquire(self) -> bool:
        if self._conn is None:
            # Its own connection: Django may close the default one at any time.
            self._conn = connections.create_connection("default")
        try:
            with self._conn.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
                (held,) = cursor.fetchone()
        except Exception:
            self._drop()
            raise
        return bool(held)

    def still_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            with self._conn.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND pid = pg_backend_pid() AND granted "
                    "AND ((classid::bigint << 32) | objid::bigint) = %s",
                    [ADVISORY_LOCK_KEY],
                )
                (count,) = cursor.fetchone()
        except Exception as exc:
            log.warning("lease connection lost: %s", exc)
            self._drop()
            return False
        return count > 0

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            with self._conn.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])
        except Exception as exc:
            log.debug("advisory unlock failed (the session end releases it): %s", exc)
        self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception as exc:
                log.debug("closing the lease connection failed: %s", exc)
            self._conn = None


def lock_file_path() -> Path:
    # Next to the database file: every supervisor sharing the DB (the node
    # identity) sees the same lock, whatever its data dir.
    return Path(settings.DATABASES["default"]["NAME"]).resolve().parent / LOCK_FILE_NAME


def make_lease() -> Lease:
    """The lease that fits the configured database."""
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return PostgresLease()
    return FileLease(lock_file_path())
