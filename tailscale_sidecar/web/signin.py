"""Sign in a visitor whose tailnet login the owner trusts, with no password.

`TailnetSignInMiddleware` goes after Django's `AuthenticationMiddleware`. For
a visitor who is not signed in it asks `identity.identify` who the tailnet
says they are (through the HTTPS front door, or `whois` on the plain port's
connection) and puts the answer on `request.tailnet_identity` (the login page
shows it, the login throttle keys on it). A trusted login
(`TAILSCALE_TRUSTED_LOGINS` plus the owner's list) is signed in as the Django
user of the same name, created on its first sign-in as staff, since the owner
trusted it to run this app. Tagged devices have no user and are never signed
in. Every sign-in writes one audit line and a timeline event; password
sign-ins are logged the same way (`log_password_sign_in`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model, login
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from tailscale_sidecar import events
from tailscale_sidecar.config import effective_config
from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.web.identity import TailnetIdentity, identify, with_device

if TYPE_CHECKING:
    from django.contrib.auth.models import User

log = logging.getLogger("tailscale_sidecar.signin")

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def is_trusted(identity: TailnetIdentity) -> bool:
    if identity.tagged or not identity.login:
        return False
    return identity.login.lower() in effective_config(DesiredConfig.load()).trusted_logins


def owner_for(identity: TailnetIdentity) -> User | None:
    """The Django user for a trusted login: made on first sign-in; None if deactivated."""
    users = get_user_model()._default_manager
    with transaction.atomic():
        user, created = users.get_or_create(
            username=identity.login.lower(), defaults={"is_staff": True}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
    if not user.is_active:
        return None
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


class TailnetSignInMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tailnet_identity = None  # type: ignore[attr-defined]
        # Token calls (Authorization) authenticate by themselves.
        if not request.user.is_authenticated and "HTTP_AUTHORIZATION" not in request.META:
            identity = identify(request)
            request.tailnet_identity = identity  # type: ignore[attr-defined]
            if identity is not None:
                self._sign_in(request, identity)
        return self.get_response(request)

    def _sign_in(self, request: HttpRequest, identity: TailnetIdentity) -> None:
        if not is_trusted(identity):
            return
        user = owner_for(identity)
        if user is None:
            log.warning("tailnet sign-in refused: %s's user is deactivated", identity.describe())
            return
        login(request, user, backend=MODEL_BACKEND)
        identity = with_device(identity)
        log.info("signed in %s by tailnet identity via %s", identity.describe(), identity.via)
        events.record(
            events.Kind.SIGNED_IN,
            f"{identity.login} signed in from {identity.device or identity.address}.",
            login=identity.login,
            device=identity.device,
            address=identity.address,
            via=identity.via,
        )


def log_password_sign_in(request: HttpRequest, username: str) -> None:
    """The audit line for a password sign-in, with the tailnet identity when there is one."""
    identity: TailnetIdentity | None = getattr(request, "tailnet_identity", None)
    where = identity.describe() if identity else request.META.get("REMOTE_ADDR", "")
    log.info("signed in %s with a password from %s", username, where)
