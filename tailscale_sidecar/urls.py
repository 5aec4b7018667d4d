from django.http import HttpResponse
from django.urls import path

app_name = "tailscale_sidecar"


def settings_page(request):
    return HttpResponse("Settings → Tailscale")


urlpatterns = [path("settings/tailscale/", settings_page, name="settings")]
