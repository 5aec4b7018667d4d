"""Wait until the database answers, for a bounded time.

The container entrypoint runs this first: with Compose or Kubernetes the
database may still be starting when the app does.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connections


class Command(BaseCommand):
    help = "Wait until the default database accepts connections (bounded)."
    # Only the database matters here; the full checks run with migrate next.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--timeout", type=float, default=60.0, help="Give up after this many seconds."
        )
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between attempts.")

    def handle(self, *args, timeout: float, interval: float, **options) -> None:
        connection = connections["default"]
        deadline = time.monotonic() + timeout
        attempt = 0
        while True:
            attempt += 1
            try:
                connection.ensure_connection()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
            except OperationalError as exc:
                connection.close()
                if time.monotonic() + interval > deadline:
                    raise CommandError(
                        f"The database did not answer within {timeout:g} s "
                        f"({attempt} attempts; last error: {exc}). "
                        "Check DATABASE_URL and that the database server is running."
                    ) from exc
                if attempt == 1:
                    self.stderr.write(f"Waiting for the database: {exc}")
                time.sleep(interval)
                continue
            if options["verbosity"] >= 1:
                self.stdout.write(f"Database is ready ({connection.vendor}).")
            return
