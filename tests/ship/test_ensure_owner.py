"""`manage.py ensure_owner`: creates the owner from DJANGO_SUPERUSER_* once, never fails after."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    # Hashing speed is not under test; the default hasher costs seconds here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def owner_env(monkeypatch):
    for name in ("USERNAME", "PASSWORD", "PASSWORD_FILE", "EMAIL"):
        monkeypatch.delenv(f"DJANGO_SUPERUSER_{name}", raising=False)

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"DJANGO_SUPERUSER_{name.upper()}", value)

    return set_env


def test_it_creates_the_owner_as_a_superuser(owner_env):
    owner_env(username="owner", password="a-long-owner-password")
    call_command("ensure_owner")
    user = get_user_model().objects.get(username="owner")
    assert user.is_superuser and user.is_staff
    assert user.check_password("a-long-owner-password")


def test_a_second_run_leaves_the_existing_owner_alone(owner_env):
    owner_env(username="owner", password="first-password-123")
    call_command("ensure_owner")
    owner_env(password="changed-in-env-later")
    call_command("ensure_owner")
    user = get_user_model().objects.get(username="owner")
    assert user.check_password("first-password-123")
    assert get_user_model().objects.count() == 1


def test_it_reads_the_password_from_a_file(owner_env, tmp_path):
    secret = tmp_path / "owner_password"
    secret.write_text("from-a-secret-file-123\n")
    owner_env(username="owner", password_file=str(secret))
    call_command("ensure_owner")
    assert get_user_model().objects.get(username="owner").check_password("from-a-secret-file-123")


def test_without_variables_it_creates_nobody(owner_env):
    call_command("ensure_owner")
    assert not get_user_model().objects.exists()


def test_half_a_configuration_is_an_error(owner_env):
    owner_env(username="owner")
    with pytest.raises(CommandError, match="DJANGO_SUPERUSER_PASSWORD"):
        call_command("ensure_owner")
