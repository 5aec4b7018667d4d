"""Encryption for what the sidecar keeps in the database (node state, auth key).

Fernet (AES-128-CBC + HMAC-SHA256) through MultiFernet, keyed by
`settings.TAILSCALE_STATE_KEYS`: the first key encrypts, every key decrypts, so
a new key goes first and old ones stay behind it until `rotate_state_key` has
re-encrypted everything. Without configured keys, a key derived from SECRET_KEY
is used (with a warning). That derived key also stays usable for decryption
after keys are configured, so moving to TAILSCALE_STATE_KEYS is: set it, then
run `manage.py rotate_state_key`.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

logger = logging.getLogger(__name__)

# Changing this string changes the derived key and loses the stored state.
DERIVED_KEY_INFO = b"tracearr tailscale state v1"

WRONG_KEY_MESSAGE = (
    "the stored Tailscale state was encrypted with a key not in TAILSCALE_STATE_KEYS; "
    "add the key it was encrypted with (old keys can stay after the new one)"
)
DERIVED_KEY_WARNING = (
    "set TAILSCALE_STATE_KEYS; the state is encrypted with a key derived from SECRET_KEY, "
    "so changing SECRET_KEY loses it"
)


class StateKeyError(Exception):
    """A key is missing, wrong or malformed; the message says what to set."""


class StateCipher:
    """Authenticated encryption with the first key; decryption with any key."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise StateKeyError("no state encryption key; set TAILSCALE_STATE_KEYS")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, plaintext: bytes) -> str:
        return self._fernet.encrypt(plaintext).decode("ascii")

    def decrypt(self, token: str) -> bytes:
        try:
            return self._fernet.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            # A wrong key and a tampered token look the same to an HMAC; the
            # wrong key is by far the likelier cause, so name its fix.
            raise StateKeyError(WRONG_KEY_MESSAGE) from None

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the first key."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise StateKeyError(WRONG_KEY_MESSAGE) from None


def generate_key() -> str:
    """A new random key in the format TAILSCALE_STATE_KEYS expects."""
    return Fernet.generate_key().decode("ascii")


def parse_keys(raw_keys: Sequence[str]) -> list[bytes]:
    """Check each configured key; a bad one is named by position, never echoed."""
    keys = []
    for position, raw in enumerate(raw_keys, start=1):
        try:
            decoded = base64.urlsafe_b64decode(raw.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            decoded = b""
        if len(decoded) != 32:
            raise StateKeyError(
                f"TAILSCALE_STATE_KEYS key #{position} is not a Fernet key (32 bytes in "
                "urlsafe base64); generate one with `manage.py generate_state_key`"
            )
        keys.append(raw.encode("ascii"))
    return keys


def derive_key(secret_key: str) -> bytes:
    """The fallback key: HKDF-SHA256 of SECRET_KEY, as a Fernet key."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVED_KEY_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode("utf-8")))


@lru_cache(maxsize=8)
def _cipher_for(raw_keys: tuple[str, ...], secret_key: str) -> StateCipher:
    keys = parse_keys(raw_keys)
    if not keys:
        logger.warning(DERIVED_KEY_WARNING)
    return StateCipher([*keys, derive_key(secret_key)])


def configured_keys() -> list[str]:
    """TAILSCALE_STATE_KEYS as a list (a comma-separated string is accepted too)."""
    raw_keys = settings.TAILSCALE_STATE_KEYS
    keys = raw_keys.split(",") if isinstance(raw_keys, str) else raw_keys
    return [key.strip() for key in keys if key.strip()]


def get_cipher() -> StateCipher:
    """The cipher for the current settings (cached per settings value)."""
    return _cipher_for(tuple(configured_keys()), settings.SECRET_KEY)
