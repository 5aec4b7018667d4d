"""Demo mode only: "Open as a tailnet peer", to see the app as another device of the tailnet.

The simulated tailnet has no name resolution and no routes a browser could use,
so the simulated control server lends an HTTP proxy (`/admin/api/nodes/<id>/proxy`)
through which every connection is one device's. This view makes that device
(`your-laptop`, owned by the tailnet's owner), trusts the owner's tailnet login
for sign-in, and shows how to point a browser at the proxy: it then opens
`https://<name>/` through the HTTPS front door and is signed in by its tailnet
identity, with no password.
"""

from __future__ import annotations

import httpx
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from tailscale_sidecar import actions
from tailscale_sidecar.models import DesiredConfig, ObservedStatus
from tailscale_sidecar.web.access import staff_required

DEVICE = "your-laptop"


def _peer_proxy(control: httpx.Client, node_id: str) -> tuple[str, str]:
    """(the owner's tailnet login, the proxy URL of the owner's laptop)."""
    nodes = control.get("/admin/api/nodes").raise_for_status().json()
    ours = next((n for n in nodes if n["id"] == node_id), None)
    if ours is None:
        raise LookupError("this node is not in the simulated tailnet (yet)")
    login = str(ours["user"]["LoginName"])
    laptop = next(
        (n for n in nodes if n["hostname"] == DEVICE and n["user"]["LoginName"] == login), None
    )
    if laptop is None:
        body = {"hostname": DEVICE, "user": login}
        laptop = control.post("/admin/api/devices", json=body).raise_for_status().json()
    proxy = control.post(f"/admin/api/nodes/{laptop['id']}/proxy").raise_for_status().json()
    return login, str(proxy["proxy"])


@staff_required
@require_POST
def open_as_peer(request: HttpRequest) -> HttpResponse:
    if not settings.DEMO_MODE:
        raise Http404("Only in demo mode.")
    observed = ObservedStatus.load()
    context: dict[str, object] = {"observed": observed}
    try:
        with httpx.Client(
            base_url=settings.TAILSCALE_CONTROL_URL, timeout=5, trust_env=False
        ) as control:
            login, proxy = _peer_proxy(control, observed.node_id)
    except (httpx.HTTPError, LookupError, KeyError) as exc:
        context["error"] = f"The simulated tailnet could not lend a device: {exc}"
        return render(request, "demo_peer.html", context, status=409)
    trusted = list(DesiredConfig.load().trusted_logins or [])
    if login not in trusted:
        actions.update_settings(trusted_logins=[*trusted, login])
    https_url = observed.https_url or ""
    context.update(
        login=login,
        proxy=proxy,
        open_url=https_url or f"http://{observed.dns_name}:{settings.TAILSCALE_WEB_PORT}/",
        https=bool(https_url),
    )
    return render(request, "demo_peer.html", context)
