from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from tracearr.demo import open_as_peer
from tracearr.views import ThrottledLoginView, first_run

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="tailscale_sidecar:settings"), name="home"),
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("setup/", first_run, name="first_run"),
    path("demo/peer/", open_as_peer, name="demo_peer"),
    path("", include("tailscale_sidecar.urls")),
]
