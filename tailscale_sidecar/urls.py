"""The app's URLs: the Settings → Tailscale page and, at api/v1/, its API.

A host mounts both with `path("", include("tailscale_sidecar.urls"))`.
"""

from django.urls import path

from tailscale_sidecar.web import views
from tailscale_sidecar.web.api import api

app_name = "tailscale_sidecar"

urlpatterns = [
    path("settings/tailscale/", views.settings_page, name="settings"),
    path("settings/tailscale/fragment/", views.state_fragment, name="fragment"),
    path("settings/tailscale/enable/", views.enable, name="enable"),
    path("settings/tailscale/disable/", views.disable, name="disable"),
    path("settings/tailscale/reset/", views.reset, name="reset"),
    path("settings/tailscale/retry/", views.retry, name="retry"),
    path("settings/tailscale/access/", views.tailnet_access, name="access"),
    path("settings/tailscale/exit-node/", views.exit_node, name="exit_node"),
    path("settings/tailscale/tokens/", views.create_api_token, name="create_token"),
    path(
        "settings/tailscale/tokens/<int:token_id>/revoke/",
        views.revoke_api_token,
        name="revoke_token",
    ),
    path("api/v1/", api.urls),
]
