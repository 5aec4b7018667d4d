"""Create the owner account from DJANGO_SUPERUSER_* when it does not exist yet.

Idempotent: an existing account is left as it is (its password is never reset),
so the command can run on every start of every replica. Without the variables
it does nothing, and the first-run page lets the first visitor create the owner.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction


def _password_from_env() -> str:
    path = os.environ.get("DJANGO_SUPERUSER_PASSWORD_FILE", "")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")


class Command(BaseCommand):
    help = "Create the owner (a superuser) from DJANGO_SUPERUSER_USERNAME/PASSWORD if missing."
    # Start-up runs the full system checks once, in migrate_locked just before.
    requires_system_checks: list[str] = []

    def handle(self, *args, **options) -> None:
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "").strip()
        password = _password_from_env()
        if not username and not password:
            self.stdout.write("No DJANGO_SUPERUSER_* set: the first-run page creates the owner.")
            return
        if not username or not password:
            raise CommandError(
                "Set both DJANGO_SUPERUSER_USERNAME and DJANGO_SUPERUSER_PASSWORD "
                "(or DJANGO_SUPERUSER_PASSWORD_FILE), or neither."
            )
        user_model = get_user_model()
        lookup = {user_model.USERNAME_FIELD: username}
        if user_model.objects.filter(**lookup).exists():
            self.stdout.write(f"Owner {username!r} already exists; left unchanged.")
            return
        try:
            # Two replicas may race here: the loser's insert fails and is fine.
            with transaction.atomic():
                user_model.objects.create_superuser(
                    password=password, email=os.environ.get("DJANGO_SUPERUSER_EMAIL", ""), **lookup
                )
        except IntegrityError:
            self.stdout.write(f"Owner {username!r} was created by another process.")
            return
        self.stdout.write(f"Created the owner {username!r}.")
