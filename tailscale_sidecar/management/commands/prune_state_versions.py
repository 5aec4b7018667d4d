"""The hourly housekeeping job, for hosts without Celery beat (run it from cron)."""

from django.core.management.base import BaseCommand

from tailscale_sidecar.tasks import prune_state_versions


class Command(BaseCommand):
    help = "Delete encrypted state versions beyond TAILSCALE_STATE_VERSIONS_KEPT (the Celery job)."

    def handle(self, *args: object, **options: object) -> None:
        # Calling the task runs it here, in this process: no broker needed.
        deleted = prune_state_versions()
        self.stdout.write(f"Deleted {deleted} old state version(s).")
