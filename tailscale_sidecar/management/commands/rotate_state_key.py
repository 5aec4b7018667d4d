"""Re-encrypt everything the sidecar stores under the first TAILSCALE_STATE_KEYS key.

All or nothing: if any value cannot be decrypted with the configured keys, the
command stops without changing anything.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tailscale_sidecar.models import SINGLETON_PK, DesiredConfig, StoredState
from tailscale_sidecar.state.crypto import StateKeyError, configured_keys, get_cipher


class Command(BaseCommand):
    help = (
        "Re-encrypt the stored Tailscale state versions and the auth key under the "
        "first key in TAILSCALE_STATE_KEYS. Afterwards the older keys can be removed."
    )

    def handle(self, *args: object, **options: object) -> None:
        try:
            if not configured_keys():
                raise CommandError(
                    "TAILSCALE_STATE_KEYS is not set: generate a key with "
                    "`manage.py generate_state_key`, set TAILSCALE_STATE_KEYS to it, "
                    "then run this again."
                )
            cipher = get_cipher()
        except StateKeyError as exc:
            raise CommandError(str(exc)) from None

        with transaction.atomic():
            versions = list(StoredState.objects.select_for_update().order_by("id"))
            for version in versions:
                try:
                    version.ciphertext = cipher.rotate(version.ciphertext)
                except StateKeyError:
                    raise CommandError(
                        f"state version {version.pk} (stored {version.created_at:%Y-%m-%d %H:%M:%S}) "
                        "cannot be decrypted with TAILSCALE_STATE_KEYS; add the key it was "
                        "encrypted with after the new one and run this again. Nothing was changed."
                    ) from None
            config = DesiredConfig.objects.select_for_update().filter(pk=SINGLETON_PK).first()
            auth_keys = 0
            if config is not None and config.auth_key_encrypted:
                try:
                    rotated_auth_key = cipher.rotate(config.auth_key_encrypted)
                except StateKeyError:
                    raise CommandError(
                        "the stored auth key cannot be decrypted with TAILSCALE_STATE_KEYS; "
                        "add the key it was encrypted with after the new one and run this "
                        "again. Nothing was changed."
                    ) from None
                DesiredConfig.store_reencrypted_auth_key(rotated_auth_key)
                auth_keys = 1
            StoredState.objects.bulk_update(versions, ["ciphertext"], batch_size=100)

        self.stdout.write(
            f"Re-encrypted {len(versions)} state version(s) and {auth_keys} auth key(s) "
            "under the first key in TAILSCALE_STATE_KEYS. Keys after the first can now be removed."
        )
