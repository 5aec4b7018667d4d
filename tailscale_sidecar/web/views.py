"""The owner's page: Settings → Tailscale.

Small function views: a decorator says who may call it, the body calls one
action and redirects (post/redirect/get), so a reload never repeats a command.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from tailscale_sidecar import actions
from tailscale_sidecar.config import effective_config
from tailscale_sidecar.models import ApiToken, DesiredConfig, ObservedStatus, Phase
from tailscale_sidecar.reachability import describe, wildcard_bind
from tailscale_sidecar.validation import FieldErrors
from tailscale_sidecar.web.access import signed_in_owner, staff_required
from tailscale_sidecar.web.forms import AccessForm, EnableForm, TokenForm
from tailscale_sidecar.web.status import (
    admin_console_url,
    build_status,
    login_server,
)
from tailscale_sidecar.web.timeline import page_events
from tailscale_sidecar.web.tokens import create_token, revoke_token


def state_context(enable_form: EnableForm | None = None) -> dict[str, object]:
    desired = DesiredConfig.load()
    observed = ObservedStatus.load()
    status = build_status(desired, observed)
    config = effective_config(desired)
    if enable_form is None:
        enable_form = EnableForm(
            initial={
                "hostname": config.hostname_template,
                "tags": ", ".join(desired.advertise_tags or []),
                "control_url": desired.control_url,
                "outbound_proxy": config.outbound_proxy,
            }
        )
    supervisor_missing = not status.supervisor_alive and (
        desired.enabled or observed.supervisor_heartbeat_at is not None
    )
    return {
        "status": status,
        "status_json": status.model_dump(mode="json"),
        "phase": status.phase,
        "phase_label": status.phase.label,
        "fast_poll": status.phase.transitional,
        "desired": desired,
        "observed": observed,
        "auth_key_saved": bool(desired.auth_key_encrypted),
        # A template's name on this machine, shown next to it.
        "hostname_rendered": (
            config.hostname if config.hostname != config.hostname_template else ""
        ),
        "hostname_template": config.hostname_template,
        "raw_auth_url_blocked": bool(
            observed.phase == Phase.NEEDS_LOGIN and observed.auth_url and not status.auth_url
        ),
        "admin_console_url": admin_console_url(desired),
        "login_server": login_server(desired),
        "enable_form": enable_form,
        "supervisor_missing": supervisor_missing,
        "tailscaled_bin": settings.TAILSCALED_BIN,
        "health_interval": settings.TAILSCALE_HEALTHCHECK_INTERVAL,
        "now": timezone.now(),
        "node_events": page_events(),
        "reachable_text": describe(status.reachable_via),
        "off_tailnet": desired.enabled and "tailnet" not in status.reachable_via,
    }


def render_page(
    request: HttpRequest,
    *,
    enable_form: EnableForm | None = None,
    new_token: str = "",
    token_form: TokenForm | None = None,
    access_form: AccessForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = state_context(enable_form)
    desired = DesiredConfig.load()
    context.update(
        {
            "access_form": access_form
            or AccessForm(
                initial={
                    "https": effective_config(desired).https,
                    "trusted_logins": "\n".join(desired.trusted_logins or []),
                }
            ),
            "env_trusted_logins": settings.TAILSCALE_TRUSTED_LOGINS,
            "tokens": ApiToken.objects.filter(user_id=signed_in_owner(request).pk).order_by(
                "-created_at"
            ),
            "token_form": token_form or TokenForm(),
            "new_token": new_token,
            "wildcard_bind": wildcard_bind(),
            "bind_address": settings.TAILSCALE_WEB_BIND,
        }
    )
    return render(request, "tailscale_sidecar/settings.html", context, status=status)


@staff_required
@require_GET
def settings_page(request: HttpRequest) -> HttpResponse:
    return render_page(request)


@staff_required
@require_GET
def state_fragment(request: HttpRequest) -> HttpResponse:
    """Just the state section, for the page's script to swap in without a reload."""
    return render(request, "tailscale_sidecar/_state.html", state_context())


def back_to_page() -> HttpResponse:
    return redirect("tailscale_sidecar:settings")


def add_errors(form: Form, exc: FieldErrors) -> None:
    """An action's rule violations onto the form (a field it lacks: the form's own errors)."""
    for field, message in exc.errors.items():
        form.add_error(field if field in form.fields else None, message)


@staff_required
@require_POST
def enable(request: HttpRequest) -> HttpResponse:
    form = EnableForm(request.POST)
    if not form.is_valid():
        return render_page(request, enable_form=form, status=422)
    try:
        actions.enable(
            hostname=form.cleaned_data["hostname"],
            auth_key=form.cleaned_data["auth_key"] or None,
            tags=form.cleaned_data["tags"],
            control_url=form.cleaned_data["control_url"],
            outbound_proxy=form.cleaned_data["outbound_proxy"],
        )
    except FieldErrors as exc:
        add_errors(form, exc)
        return render_page(request, enable_form=form, status=422)
    return back_to_page()


@staff_required
@require_POST
def tailnet_access(request: HttpRequest) -> HttpResponse:
    """The HTTPS front door setting and the logins signed in by tailnet identity."""
    form = AccessForm(request.POST)
    if not form.is_valid():
        return render_page(request, access_form=form, status=422)
    try:
        actions.update_settings(
            https=form.cleaned_data["https"], trusted_logins=form.cleaned_data["trusted_logins"]
        )
    except FieldErrors as exc:
        add_errors(form, exc)
        return render_page(request, access_form=form, status=422)
    messages.info(request, "Tailnet access saved.")
    return back_to_page()


@staff_required
@require_POST
def exit_node(request: HttpRequest) -> HttpResponse:
    """Route the app's outbound traffic through a peer's exit node, or stop doing so."""
    try:
        actions.update_settings(
            exit_node=request.POST.get("exit_node", ""),
            exit_node_allow_lan=request.POST.get("allow_lan_access") == "on",
        )
    except FieldErrors as exc:
        for message in exc.errors.values():
            messages.error(request, message)
        return back_to_page()
    messages.info(request, "Exit node saved.")
    return back_to_page()


@staff_required
@require_POST
def disable(request: HttpRequest) -> HttpResponse:
    actions.disable()
    return back_to_page()


@staff_required
@require_POST
def reset(request: HttpRequest) -> HttpResponse:
    actions.reset()
    messages.info(request, "The node is being logged out and its identity wiped.")
    return back_to_page()


@staff_required
@require_POST
def retry(request: HttpRequest) -> HttpResponse:
    actions.retry()
    return back_to_page()


@staff_required
@require_POST
def create_api_token(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        return render_page(request, token_form=form, status=422)
    _, raw = create_token(signed_in_owner(request), form.cleaned_data["name"])
    # Rendered directly, never redirected: the plaintext must not sit in a session.
    response = render_page(request, new_token=raw)
    response["Cache-Control"] = "no-store"
    return response


@staff_required
@require_POST
def revoke_api_token(request: HttpRequest, token_id: int) -> HttpResponse:
    if revoke_token(signed_in_owner(request), token_id):
        messages.info(request, "The token was revoked.")
    return back_to_page()
