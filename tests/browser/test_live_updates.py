"""The page follows the status stream: a change shows within a second, and it polls when the stream is refused."""

import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tailscale_sidecar.models import DesiredConfig, ObservedStatus
from tests.browser.conftest import OWNER, PASSWORD, phase_badge

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def owner_page(child_env, web_server, django_user_model, browser_context):
    """The Settings page on gunicorn with no supervisor: the test writes ObservedStatus itself."""
    django_user_model.objects.create_user(OWNER, password=PASSWORD, is_staff=True)
    server = web_server(child_env)

    def open_page():
        page = browser_context.new_page()
        page.goto(server.url + "/login/")
        page.get_by_label("User name").fill(OWNER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/settings/tailscale/")
        return page

    return open_page


def running(**fields: object) -> None:
    DesiredConfig.update(enabled=True)
    ObservedStatus.write(phase="running", supervisor_heartbeat_at=timezone.now(), **fields)


def test_a_change_shows_within_a_second(owner_page):
    running(hostname="web-a", tailnet_ips=["100.64.0.9"])
    page = owner_page()
    state = page.locator("#tailscale-state")
    expect(state).to_have_attribute("data-live", "stream")
    # Running: the fallback poll would wait 15 s, so only the stream can be this quick.
    started = time.monotonic()
    running(hostname="web-b", tailnet_ips=["100.64.0.10"])
    expect(state.locator('[data-field="ipv4"]')).to_have_text("100.64.0.10", timeout=5_000)
    assert time.monotonic() - started < 1.0


def test_it_polls_when_the_stream_is_refused(owner_page):
    DesiredConfig.update(enabled=True)
    ObservedStatus.write(phase="starting", supervisor_heartbeat_at=timezone.now())
    page = owner_page()
    page.route("**/api/v1/tailscale/stream", lambda route: route.fulfill(status=503, body="{}"))
    page.reload()
    expect(page.locator("#tailscale-state")).to_have_attribute("data-live", "poll")
    # While starting, the fallback poll looks every 2 s.
    running(hostname="web")
    expect(phase_badge(page)).to_have_text("Connected", timeout=5_000)
