"""The key-expiry warning job, for hosts without Celery beat (run it from cron)."""

from django.core.management.base import BaseCommand

from tailscale_sidecar.tasks import check_key_expiry


class Command(BaseCommand):
    help = "Log a warning when the node key expires within TAILSCALE_KEY_EXPIRY_WARNING_DAYS."

    def handle(self, *args: object, **options: object) -> None:
        # Calling the task runs it here, in this process: no broker needed.
        days_left = check_key_expiry()
        if days_left is None:
            self.stdout.write("The node key does not expire (or the node has none yet).")
        else:
            self.stdout.write(f"The node key expires in {days_left:.1f} days.")
