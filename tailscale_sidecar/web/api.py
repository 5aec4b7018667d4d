"""The owner's JSON API, mounted at /api/v1/ (OpenAPI docs at /api/v1/docs).

Every call needs a staff session (with CSRF on writes) or an API token
(`Authorization: Bearer tra_…`), except `GET /health`, which says only whether
the sidecar is healthy. Reads come from the database alone; writes go through
`actions`, which validate, change DesiredConfig and wake the supervisor.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import ValidationError as SchemaValidationError
from ninja.schema import DjangoGetter
from ninja.security import HttpBearer, SessionAuthIsStaff
from pydantic import ConfigDict, model_validator

from tailscale_sidecar import actions
from tailscale_sidecar.models import DesiredConfig, ObservedStatus
from tailscale_sidecar.validation import FieldErrors
from tailscale_sidecar.web.access import staff_required
from tailscale_sidecar.web.status import is_degraded, load_status
from tailscale_sidecar.web.tokens import token_for_request


class TokenAuth(HttpBearer):
    """`request.auth` is the ApiToken (its `.user` is the owner)."""

    def authenticate(self, request: HttpRequest, token: str):
        return token_for_request(token)


api = NinjaAPI(
    title="tracearr",
    version="1",
    description="Connect this app to your tailnet. Authenticate with a staff session "
    "(and CSRF token on writes) or `Authorization: Bearer <API token>`.",
    # Token first: a token call must not be judged by session CSRF rules.
    auth=[TokenAuth(), SessionAuthIsStaff()],
    docs_decorator=staff_required,
)


class Message(Schema):
    detail: str


class FieldErrorsOut(Schema):
    detail: str
    errors: dict[str, str]


class OutboundProxy(Schema):
    enabled: bool
    socks5: str | None
    http: str | None


class StatusOut(Schema):
    phase: str
    available: bool
    enabled: bool
    hostname: str
    auth_url: str | None
    tailnet_ips: list[str]
    ipv4: str | None
    ipv6: str | None
    dns_name: str | None
    tailnet_name: str | None
    url: str | None
    key_expiry: str | None
    key_expiry_warning: bool
    restart_count: int
    next_retry_at: str | None
    error: str | None
    health: list[str]
    version: str | None
    supervisor_alive: bool
    outbound_proxy: OutboundProxy


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


class PatchIn(Body):
    hostname: str | None = None
    tags: list[str] | None = None


AUTH_ERRORS = {401: Message, 403: Message}
WRITE_RESPONSES = {200: StatusOut, 400: Message, 422: FieldErrorsOut, **AUTH_ERRORS}


def invalid_input(request: HttpRequest, errors: dict[str, str]) -> HttpResponse:
    return api.create_response(
        request, {"detail": "Invalid input; nothing was changed.", "errors": errors}, status=422
    )


@api.exception_handler(FieldErrors)
def field_errors(request: HttpRequest, exc: FieldErrors) -> HttpResponse:
    return invalid_input(request, exc.errors)


@api.exception_handler(SchemaValidationError)
def schema_errors(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    """Wrong types or shapes get the same answer shape as rule violations."""
    errors: dict[str, str] = {}
    for error in exc.errors:
        # loc is like ("body", "payload", "tags", 0): name the field, or the body.
        names = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload")]
        errors.setdefault(names[0] if names else "body", error.get("msg", "Invalid value."))
    return invalid_input(request, errors)


def current_status() -> dict[str, object]:
    return load_status()[2]


@api.get("/health", auth=None, response=HealthOut, tags=["health"])
def health(request: HttpRequest) -> dict[str, str]:
    """`ok`, or `degraded` when Tailscale is enabled but failed, unavailable or unsupervised."""
    degraded = is_degraded(DesiredConfig.load(), ObservedStatus.load())
    return {"status": "degraded" if degraded else "ok"}


@api.get("/tailscale", response={200: StatusOut, **AUTH_ERRORS}, tags=["tailscale"])
def get_status(request: HttpRequest) -> dict[str, object]:
    """The current state, read from the database (cheap enough to poll)."""
    return current_status()


@api.patch("/tailscale", response=WRITE_RESPONSES, tags=["tailscale"])
def patch_settings(request: HttpRequest, payload: PatchIn) -> dict[str, object]:
    """Change the hostname and/or tags; applied live if connected."""
    actions.update_settings(hostname=payload.hostname, tags=payload.tags)
    return current_status()


@api.post("/tailscale/enable", response=WRITE_RESPONSES, tags=["tailscale"])
def enable(request: HttpRequest, payload: EnableIn) -> dict[str, object]:
    """Turn Tailscale on. Omitted fields keep their saved values."""
    actions.enable(
        hostname=payload.hostname,
        auth_key=payload.auth_key,
        tags=payload.tags,
        control_url=payload.control_url,
    )
    return current_status()


@api.post("/tailscale/disable", response={200: StatusOut, **AUTH_ERRORS}, tags=["tailscale"])
def disable(request: HttpRequest) -> dict[str, object]:
    """Turn Tailscale off, keeping the node's identity (also cancels a login)."""
    actions.disable()
    return current_status()


@api.post("/tailscale/reset", response={200: StatusOut, **AUTH_ERRORS}, tags=["tailscale"])
def reset(request: HttpRequest) -> dict[str, object]:
    """Turn Tailscale off, log the node out and wipe its identity."""
    actions.reset()
    return current_status()


@api.post("/tailscale/retry", response={200: StatusOut, **AUTH_ERRORS}, tags=["tailscale"])
def retry(request: HttpRequest) -> dict[str, object]:
    """Try again after a failure."""
    actions.retry()
    return current_status()


@api.get("/tailscale/logs", response={200: LogsOut, **AUTH_ERRORS}, tags=["tailscale"])
def logs(request: HttpRequest) -> dict[str, list[str]]:
    """Recent tailscaled output (redacted by the supervisor), newest last."""
    return {"lines": list(ObservedStatus.load().log_tail or [])}
