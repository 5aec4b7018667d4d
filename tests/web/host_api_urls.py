"""A host project's URLs: its own NinjaAPI with the Tailscale endpoints added to it."""

from django.urls import path
from ninja import NinjaAPI

from tailscale_sidecar.web.api import tailscale_router

host_api = NinjaAPI(title="host", urls_namespace="host-api")


@host_api.get("/hello", auth=None)
def hello(request) -> dict[str, str]:
    return {"hello": "world"}


host_api.add_router("/", tailscale_router())

urlpatterns = [path("host-api/", host_api.urls)]
