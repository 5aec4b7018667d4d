"""Users, clients and status helpers for the page and API tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import Client

from tailscale_sidecar.models import DesiredConfig, ObservedStatus
from tailscale_sidecar.web.middleware import install
from tailscale_sidecar.web.tokens import create_token

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache_and_hosts():
    # Login counters and the tailnet host cache must not leak between tests.
    cache.clear()
    install().forget()
    yield
    cache.clear()


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user(
        "owner", password=PASSWORD, is_staff=True, is_superuser=True
    )


@pytest.fixture
def owner_client(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def api_token(owner) -> str:
    return create_token(owner, "automation")[1]


@pytest.fixture
def token_client(api_token) -> Client:
    return Client(headers={"Authorization": f"Bearer {api_token}"})


@pytest.fixture
def observe(db) -> Callable[..., ObservedStatus]:
    """Set ObservedStatus as the supervisor would (tests stand in for it).

    Like the supervisor, it reports the latest desired generation as applied,
    unless the test says otherwise.
    """

    def write(**fields: object) -> ObservedStatus:
        fields.setdefault("applied_generation", DesiredConfig.load().generation)
        ObservedStatus.write(**fields)
        return ObservedStatus.load()

    return write


@pytest.fixture
def desired(db) -> Callable[..., DesiredConfig]:
    def write(**fields: object) -> DesiredConfig:
        return DesiredConfig.update(**fields)

    return write


def desired_snapshot() -> dict[str, object]:
    """Every DesiredConfig field but the timestamp, to prove nothing changed."""
    row = DesiredConfig.load()
    return {
        field.name: getattr(row, field.name)
        for field in DesiredConfig._meta.fields
        if field.name != "updated_at"
    }
