"""The owner's JSON API: a ninja Router, and a default NinjaAPI that serves it.

`tailscale_sidecar.urls` mounts the default API at `api/v1/` (OpenAPI docs at
`api/v1/docs`). A host with its own NinjaAPI adds the endpoints to it instead:

    api.add_router("/", tailscale_router())

Every call needs a staff session (with CSRF on writes) or an API token
(`Authorization: Bearer tra_…`), except `GET /health`, which says only whether
the sidecar is healthy. Reads come from the database alone; writes go through
`actions`, which validate, change DesiredConfig and wake the supervisor.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Router, Schema, Status
from ninja.errors import ValidationError as SchemaValidationError
from ninja.schema import DjangoGetter
from ninja.security import HttpBearer, SessionAuthIsStaff
from pydantic import ConfigDict, StrictBool, model_validator

from tailscale_sidecar import actions
from tailscale_sidecar.config import effective_config
from tailscale_sidecar.models import DesiredConfig, ObservedStatus
from tailscale_sidecar.validation import FieldErrors
from tailscale_sidecar.web.access import staff_required
from tailscale_sidecar.web.status import StatusOut, is_degraded, load_status
from tailscale_sidecar.web.stream import STREAM_OPENAPI, status_stream
from tailscale_sidecar.web.timeline import EventsOut, list_events
from tailscale_sidecar.web.tokens import token_for_request

INVALID_INPUT = "Invalid input; nothing was changed."


class TokenAuth(HttpBearer):
    """`request.auth` is the ApiToken (its `.user` is the owner)."""

    def authenticate(self, request: HttpRequest, token: str):
        return token_for_request(token)


class Message(Schema):
    detail: str


class FieldErrorsOut(Schema):
    detail: str
    errors: dict[str, str]


class HealthOut(Schema):
    status: str


class LogsOut(Schema):
    lines: list[str]


class Body(Schema):
    """A JSON object with only the documented fields (a typo is an error, not a no-op)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def must_be_an_object(cls, data: object) -> object:
        # ninja's Schema would otherwise read attributes off any value, lists
        # included. With extra="forbid" ninja validates the raw body first, then
        # again wrapped in its DjangoGetter, which is already checked.
        if not isinstance(data, dict | DjangoGetter):
            raise ValueError("The request body must be a JSON object.")
        return data


class EnableIn(Body):
    hostname: str | None = None
    auth_key: str | None = None
    tags: list[str] | None = None
    control_url: str | None = None
    outbound_proxy: StrictBool | None = None


class PatchIn(Body):
    hostname: str | None = None
    tags: list[str] | None = None
    outbound_proxy: StrictBool | None = None
    https: StrictBool | None = None
    trusted_logins: list[str] | None = None
    # A peer's name, MagicDNS name, tailnet IP or ID; null clears it.
    exit_node: str | None = None
    exit_node_allow_lan_access: StrictBool | None = None


class AccessOut(Schema):
    trusted_logins: list[str]  # the owner's list
    deployment_trusted_logins: list[str]  # TAILSCALE_TRUSTED_LOGINS
    https: bool


AUTH_ERRORS = {401: Message, 403: Message}
WRITE_RESPONSES = {200: StatusOut, 400: Message, 422: FieldErrorsOut, **AUTH_ERRORS}


def current_status() -> StatusOut:
    return load_status()[2]


def apply(action: Callable[..., object], **fields: object) -> Status:
    """Run an action; its rule violations become a 422 naming each field."""
    try:
        action(**fields)
    except FieldErrors as exc:
        return Status(422, {"detail": INVALID_INPUT, "errors": exc.errors})
    return Status(200, current_status())


def health(request: HttpRequest) -> dict[str, str]:
    """`ok`, or `degraded` when Tailscale is enabled but failed, unavailable or unsupervised."""
    degraded = is_degraded(DesiredConfig.load(), ObservedStatus.load())
    return {"status": "degraded" if degraded else "ok"}


def get_status(request: HttpRequest) -> StatusOut:
    """The current state, read from the database (cheap enough to poll)."""
    return current_status()


def patch_settings(request: HttpRequest, payload: PatchIn) -> Status:
    """Change the hostname, tags, outbound proxy, HTTPS front door, exit node or the logins
    signed in by tailnet identity; applied live if connected."""
    fields = payload.model_dump()
    # `"exit_node": null` clears it; leaving the key out keeps it.
    chosen = "exit_node" in payload.model_fields_set
    fields["exit_node"] = (payload.exit_node or "") if chosen else None
    fields["exit_node_allow_lan"] = fields.pop("exit_node_allow_lan_access")
    return apply(actions.update_settings, **fields)


def enable(request: HttpRequest, payload: EnableIn) -> Status:
    """Turn Tailscale on. Omitted fields keep their saved values."""
    return apply(actions.enable, **payload.model_dump())


def disable(request: HttpRequest) -> StatusOut:
    """Turn Tailscale off, keeping the node's identity (also cancels a login)."""
    actions.disable()
    return current_status()


def reset(request: HttpRequest) -> StatusOut:
    """Turn Tailscale off, log the node out and wipe its identity."""
    actions.reset()
    return current_status()


def retry(request: HttpRequest) -> StatusOut:
    """Try again after a failure."""
    actions.retry()
    return current_status()


def access(request: HttpRequest) -> AccessOut:
    """Who is signed in by tailnet identity, and whether the HTTPS front door is wanted."""
    desired = DesiredConfig.load()
    return AccessOut(
        trusted_logins=list(desired.trusted_logins or []),
        deployment_trusted_logins=list(settings.TAILSCALE_TRUSTED_LOGINS),
        https=effective_config(desired).https,
    )


def logs(request: HttpRequest) -> dict[str, list[str]]:
    """Recent tailscaled output (redacted by the supervisor), newest last."""
    return {"lines": list(ObservedStatus.load().log_tail or [])}


def tailscale_router() -> Router:
    """The endpoints, on a new Router (ninja attaches a router to one API only)."""
    router = Router(auth=[TokenAuth(), SessionAuthIsStaff()], tags=["tailscale"])
    read = {200: StatusOut, **AUTH_ERRORS}
    router.get("/health", auth=None, response=HealthOut, tags=["health"])(health)
    router.get("/tailscale", response=read)(get_status)
    router.patch("/tailscale", response=WRITE_RESPONSES)(patch_settings)
    router.post("/tailscale/enable", response=WRITE_RESPONSES)(enable)
    router.post("/tailscale/disable", response=read)(disable)
    router.post("/tailscale/reset", response=read)(reset)
    router.post("/tailscale/retry", response=read)(retry)
    router.get("/tailscale/access", response={200: AccessOut, **AUTH_ERRORS})(access)
    router.get("/tailscale/logs", response={200: LogsOut, **AUTH_ERRORS})(logs)
    events = {200: EventsOut, 422: FieldErrorsOut, **AUTH_ERRORS}
    router.get("/tailscale/events", response=events)(list_events)
    stream = {503: Message, **AUTH_ERRORS}
    router.get("/tailscale/stream", response=stream, openapi_extra=STREAM_OPENAPI)(status_stream)
    return router


api = NinjaAPI(
    title="Tailscale",
    version="1",
    description="Connect this app to your tailnet. Authenticate with a staff session "
    "(and CSRF token on writes) or `Authorization: Bearer <API token>`.",
    # Token first: a token call must not be judged by session CSRF rules.
    auth=[TokenAuth(), SessionAuthIsStaff()],
    docs_decorator=staff_required,
    # Reversed as "tailscale_sidecar:api:<operation>" inside the app's URLs.
    urls_namespace="tailscale_sidecar:api",
)
api.add_router("/", tailscale_router())


@api.exception_handler(SchemaValidationError)
def schema_errors(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    """Wrong types or shapes get the same answer shape as rule violations."""
    errors: dict[str, str] = {}
    for error in exc.errors:
        # loc is like ("body", "payload", "tags", 0): name the field, or the body.
        names = [
            str(part) for part in error.get("loc", ()) if part not in ("body", "payload", "query")
        ]
        errors.setdefault(names[0] if names else "body", error.get("msg", "Invalid value."))
    return api.create_response(request, {"detail": INVALID_INPUT, "errors": errors}, status=422)
