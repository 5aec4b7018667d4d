"""The real app (gunicorn), the real supervisor and the simulator, driven by Chromium."""

from __future__ import annotations

import pytest

from tailscale_sidecar.simulator.harness import fake_tailscaled_path

OWNER = "owner"
PASSWORD = "browser-test-pass-phrase"
TIMEOUT_MS = 20_000


def phase_badge(page):
    """The shown phase ("Connected", "Waiting for authorization", ...), not the timeline's words."""
    return page.locator("#tailscale-state .phase-line .badge")


@pytest.fixture
def sim_env(child_env, fake_control) -> dict[str, str]:
    return {
        **child_env,
        "TAILSCALED_BIN": str(fake_tailscaled_path()),
        "TAILSCALE_CONTROL_URL": fake_control.url,
        "TRACEARR_DEMO": "true",
    }


@pytest.fixture
def app(sim_env, web_server, supervisor_process, django_user_model):
    """gunicorn + supervisor on the simulator, with an owner account."""
    django_user_model.objects.create_user(OWNER, password=PASSWORD, is_staff=True)
    supervisor_process(sim_env)
    return web_server(sim_env)


@pytest.fixture
def page(app, browser_context):
    """A logged-in page on Settings → Tailscale."""
    page = browser_context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(app.url + "/login/")
    page.get_by_label("User name").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/settings/tailscale/")
    return page
