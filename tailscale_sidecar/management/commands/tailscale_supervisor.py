"""`manage.py tailscale_supervisor`: run tailscaled and keep it as the owner asked.

Run exactly one per node identity (a lease makes extra copies wait as
standby). SIGTERM or SIGINT stops tailscaled, stores its last state and exits 0.
"""

from __future__ import annotations

import signal

from django.core.management.base import BaseCommand, CommandError

from tailscale_sidecar.supervisor.loop import Supervisor


class Command(BaseCommand):
    help = "Supervise tailscaled: start, watch, restart and reconfigure it from the database."
    # The checks load the URLconf and with it the web stack (django-ninja,
    # pydantic): ~15 MB this process never uses. The host runs them anyway
    # (`migrate`, the web server's start-up).
    requires_system_checks: list[str] = []

    def handle(self, *args: object, **options: object) -> None:
        try:
            supervisor = Supervisor()
        except PermissionError as exc:  # a directory it may not use: the message says which
            raise CommandError(str(exc)) from None

        def stop(signum: int, frame: object) -> None:
            supervisor.request_stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        supervisor.run()
