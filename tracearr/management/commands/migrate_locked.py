"""Apply migrations while holding a lock, so replicas starting together take turns.

PostgreSQL: a session-level advisory lock. SQLite: an exclusive flock on a file
beside the database. Other engines migrate without a lock. The lock wait is
bounded; a replica that arrives second finds nothing left to do.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

# Any fixed 64-bit number works; this one is "tracearr" in ASCII.
ADVISORY_LOCK_ID = 0x7472616365617272
POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = "Run `migrate` under a database-wide lock (safe with several replicas)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--lock-timeout",
            type=float,
            default=300.0,
            help="Give up if another process holds the lock longer than this (seconds).",
        )

    def handle(self, *args, lock_timeout: float, **options) -> None:
        connection = connections["default"]
        with self._lock(connection, lock_timeout):
            call_command(
                "migrate", interactive=False, verbosity=options["verbosity"], database="default"
            )

    def _lock(self, connection, timeout: float):
        if connection.vendor == "postgresql":
            return _postgres_lock(connection, timeout)
        if connection.vendor == "sqlite":
            return _file_lock(Path(connection.settings_dict["NAME"] + ".migrate-lock"), timeout)
        return _no_lock()


def _wait(try_acquire, timeout: float, holder: str) -> None:
    deadline = time.monotonic() + timeout
    while not try_acquire():
        if time.monotonic() > deadline:
            raise CommandError(
                f"Another process held the migration lock ({holder}) for more than "
                f"{timeout:g} s. If no other replica is migrating, restart this one."
            )
        time.sleep(POLL_SECONDS)


@contextmanager
def _postgres_lock(connection, timeout: float) -> Iterator[None]:
    # The lock belongs to this session, which migrate also uses; it is released
    # explicitly, and by PostgreSQL if the process dies.
    def try_acquire() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_ID])
            return bool(cursor.fetchone()[0])

    _wait(try_acquire, timeout, f"PostgreSQL advisory lock {ADVISORY_LOCK_ID}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_ID])


@contextmanager
def _file_lock(path: Path, timeout: float) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:

        def try_acquire() -> bool:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        _wait(try_acquire, timeout, str(path))
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _no_lock() -> Iterator[None]:
    yield
