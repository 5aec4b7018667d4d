"""Exactly one supervisor per node identity.

Two tailscaleds with the same state would fight over one node key, so a
supervisor must hold the lease before it touches tailscaled. PostgreSQL: a
session advisory lock on a connection kept for the process lifetime (it goes
away with the process, however it dies). SQLite: an exclusive flock on a file
next to the database file (also released by the kernel when the process dies).

A database error is not a lost lease: only seeing another supervisor's session
hold the lock is (docs/supervisor.md, "The lease").
"""

from __future__ import annotations

import copy
import fcntl
import logging
import os
import secrets
import socket
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, Error, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import load_backend

log = logging.getLogger(__name__)

# pg advisory lock key: "tracearr-tailscale" folded into a signed 64-bit int.
ADVISORY_LOCK_KEY = 0x7472_6163_7473_0001
LOCK_FILE_NAME = "tailscale-supervisor.lock"

# Keepalives notice a dead server within ~25 s instead of the kernel's hours.
LEASE_CONNECTION_OPTIONS = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}
TERMINATE_WAIT_MS = 5000

# Who holds the lease: (this very session?, its application_name, its backend pid).
# A bigint key shows in pg_locks as classid (high half) and objid (low half).
HOLDER_SQL = (
    "SELECT l.pid = pg_backend_pid(), a.application_name, l.pid FROM pg_locks l "
    "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND ((l.classid::bigint << 32) | l.objid::bigint) = %s"
)


class Lease:
    holder = ""  # who has it when try_acquire() says no, if known

    def try_acquire(self) -> bool:
        """Take the lease if it is free; never blocks. Raises DatabaseError when it can't tell."""
        raise NotImplementedError

    def keep(self) -> bool:
        """Still ours (re-taken if our session was lost)? False only if another supervisor has it.

        Raises DatabaseError when the database can't tell: the caller keeps going.
        """
        return self.try_acquire()

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
    """A session advisory lock on a connection of our own.

    The connection carries a name unique to this supervisor instance, so that
    after a network cut we can recognise our own old session, still holding the
    lock on the server, and end it instead of mistaking it for a rival.
    """

    def __init__(self) -> None:
        self._conn: BaseDatabaseWrapper | None = None
        # Under PostgreSQL's 63-byte limit, or the name would not compare equal.
        host = socket.gethostname()[:20]
        self.application_name = f"tracearr-supervisor:{host}:{os.getpid()}:{secrets.token_hex(4)}"

    def try_acquire(self) -> bool:
        if self._conn is None:
            self._conn = self._connect()
        try:
            with self._conn.cursor() as cursor:
                return self._take(cursor)
        except Error:
            self._drop()
            raise

    def keep(self) -> bool:
        if self._conn is not None:
            try:
                with self._conn.cursor() as cursor:
                    cursor.execute(HOLDER_SQL, [ADVISORY_LOCK_KEY])
                    holder = cursor.fetchone()
                if holder is not None and holder[0]:
                    return True
            except Error as exc:
                log.warning("lease connection lost; re-taking the lease on a new one: %s", exc)
                self._drop()
        return self.try_acquire()

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            with self._conn.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])
        except Error as exc:
            log.debug("advisory unlock failed (the session end releases it): %s", exc)
        self._drop()

    def _take(self, cursor) -> bool:
        """The lock, after ending our own old session if that still holds it."""
        for _ in range(2):
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
            if cursor.fetchone()[0]:
                return True
            cursor.execute(HOLDER_SQL, [ADVISORY_LOCK_KEY])
            holder = cursor.fetchone()
            if holder is None:
                continue  # released in between
            _, name, pid = holder
            if name != self.application_name:
                self.holder = f"{name or 'an unnamed session'} (backend pid {pid})"
                return False
            log.warning(
                "our old lease session (backend pid %d) still holds the lock; ending it", pid
            )
            cursor.execute("SELECT pg_terminate_backend(%s, %s)", [pid, TERMINATE_WAIT_MS])
        raise DatabaseError("our old lease session still holds the lock")

    def _connect(self) -> BaseDatabaseWrapper:
        """Not Django's default connection, which Django may close at any time."""
        params = copy.deepcopy(connections.settings["default"])
        params["OPTIONS"].update(LEASE_CONNECTION_OPTIONS, application_name=self.application_name)
        return load_backend(params["ENGINE"]).DatabaseWrapper(params, "default")

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
