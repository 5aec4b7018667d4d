"""Print a new key for TAILSCALE_STATE_KEYS."""

from django.core.management.base import BaseCommand

from tailscale_sidecar.state.crypto import generate_key


class Command(BaseCommand):
    help = (
        "Print a new random key for TAILSCALE_STATE_KEYS. To rotate, put it first and "
        "keep the old keys after it, then run rotate_state_key."
    )

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(generate_key())
