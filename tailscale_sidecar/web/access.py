"""Who may use the owner's page and API: active staff users."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import user_passes_test
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def is_owner(user: object) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_staff", False))


def staff_required(view: Callable) -> Callable:
    """Send anyone who is not a logged-in staff user to the login page."""
    return user_passes_test(is_owner)(view)


def signed_in_owner(request: HttpRequest) -> AbstractBaseUser:
    """The owner making the request; PermissionDenied for anyone else.

    The views behind `staff_required` never see anyone else: this states it
    where the user is used, instead of trusting a decorator placed elsewhere.
    """
    user = request.user
    if not isinstance(user, AbstractBaseUser) or not is_owner(user):
        raise PermissionDenied
    return user
