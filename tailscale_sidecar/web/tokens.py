"""API tokens for automation: created once, shown once, stored as SHA-256 only.

A token is `tra_` plus 43 random URL-safe characters. Lookups hash the
presented token and compare hashes in the database index, so the plaintext
never touches storage or logs.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Model
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tailscale_sidecar.models import ApiToken

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
        user_id=user.pk,
        name=name.strip()[:100] or "token",
        prefix=raw[:SHOWN_PREFIX_LENGTH],
        token_hash=hash_token(raw),
    )
    return token, raw


def token_for_request(raw: str) -> ApiToken | None:
    """The token, if it is valid and its owner an active staff user; None otherwise.

    Every API call pays for this lookup, so it is one plain indexed query
    (the ORM's query building costs several times the query itself here).
    The returned token loads its user only when asked for it.
    """
    if not raw.startswith(TOKEN_PREFIX):
        return None
    user_model = get_user_model()
    sql = (
        "SELECT t.id, t.user_id, t.last_used_at "  # noqa: S608 - table names, not input
        f"FROM {_table(ApiToken)} t JOIN {_table(user_model)} u ON u.{_pk(user_model)} = t.user_id "
        "WHERE t.token_hash = %s AND u.is_active AND u.is_staff"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [hash_token(raw)])
        row = cursor.fetchone()
    if row is None:
        return None
    token_id, user_id, last_used_at = row
    token = ApiToken.from_db("default", ["id", "user_id"], [token_id, user_id])
    last_used_at = _aware(last_used_at)
    now = timezone.now()
    if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def _aware(value: datetime | str | None) -> datetime | None:
    """A raw DATETIME column value as an aware datetime (SQLite returns UTC text)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _pk(model: type[Model]) -> str:
    pk = model._meta.pk
    if pk is None or pk.column is None:  # only an abstract model has no primary key column
        raise TypeError(f"{model.__name__} has no primary key column")
    return connection.ops.quote_name(pk.column)


def revoke_token(user: AbstractBaseUser, token_id: int) -> bool:
    """Delete one of `user`'s tokens; False when there was none (already revoked)."""
    deleted, _ = ApiToken.objects.filter(user_id=user.pk, pk=token_id).delete()
    return deleted > 0
