"""tracearr's own pages around the Tailscale app: login and first-run owner creation."""

from __future__ import annotations

from django.contrib.auth import get_user_model, login
from django.contrib.auth.views import LoginView
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse

from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.web.signin import log_password_sign_in
from tracearr import throttle as login_throttle
from tracearr.forms import OwnerCreationForm


class ThrottledLoginView(LoginView):
    """Django's login, with a lock-out after repeated failures and a first-run hop."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        if not get_user_model().objects.exists():
            return redirect("first_run")
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        username = request.POST.get("username", "")
        if login_throttle.is_locked_out(request, username):
            # An unbound form: a locked-out attempt must not even check the password.
            form = self.get_form_class()(request)
            return self.render_to_response(
                self.get_context_data(form=form, locked_out=True), status=429
            )
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        login_throttle.record_failure(self.request, self.request.POST.get("username", ""))
        return super().form_invalid(form)

    def form_valid(self, form):
        username = form.get_user().get_username()
        login_throttle.clear_failures(self.request, username)
        log_password_sign_in(self.request, username)
        return super().form_valid(form)


def first_run(request: HttpRequest) -> HttpResponse:
    """Create the owner account; exists only while there is no user at all."""
    users = get_user_model().objects
    if users.exists():
        raise Http404("The owner account already exists.")
    form = OwnerCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            # The singleton row's lock serializes two simultaneous first-run
            # submissions (the user table has no row to lock yet).
            DesiredConfig.load()
            DesiredConfig.objects.select_for_update().get(pk=1)
            if users.exists():
                raise Http404("The owner account already exists.")
            user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(reverse("tailscale_sidecar:settings"))
    return render(request, "registration/first_run.html", {"form": form})
