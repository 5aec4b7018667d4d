"""Who may use the owner's page and API: active staff users."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import user_passes_test


def is_owner(user: object) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_staff", False))


def staff_required(view: Callable) -> Callable:
    """Send anyone who is not a logged-in staff user to the login page."""
    return user_passes_test(is_owner)(view)
