from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from tailscale_sidecar.api import api

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="tailscale_sidecar:settings"), name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", api.urls),
    path("", include("tailscale_sidecar.urls")),
]
