"""API tokens for automation: created once, shown once, stored as SHA-256 only.

A token is `tra_` plus 43 random URL-safe characters. Lookups hash the
presented token and compare hashes in the database index, so the plaintext
never touches storage or logs.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from .models import ApiToken

TOKEN_PREFIX = "tra_"  # noqa: S105 - a marker, not a secret
SHOWN_PREFIX_LENGTH = 10
# Writing last_used_at on every call would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """Make a token for `user`; returns the row and the plaintext (show it once)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100] or "token",
        prefix=raw[:SHOWN_PREFIX_LENGTH],
        token_hash=hash_token(raw),
    )
    return token, raw


def user_for_token(raw: str) -> AbstractBaseUser | None:
    """The active staff user owning this token, or None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(raw)).first()
    if token is None or not (token.user.is_active and token.user.is_staff):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def revoke_token(user: AbstractBaseUser, token_id: int) -> bool:
    """Delete one of `user`'s tokens; False when there was none (already revoked)."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return deleted > 0
