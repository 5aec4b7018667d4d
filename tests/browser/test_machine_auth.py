"""A tailnet that requires device approval: the page waits, then connects once approved."""

import pytest
from playwright.sync_api import expect

from tailscale_sidecar.models import ObservedStatus
from tailscale_sidecar.simulator.harness import wait_for
from tests.browser.conftest import TIMEOUT_MS, phase_badge
from tests.fixtures.web import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_waits_for_approval_then_connects(page, fake_control):
    fake_control.set_require_machine_auth(True)
    page.get_by_label("Hostname").fill("needs-ok")
    page.get_by_label("Auth key (optional)").fill(fake_control.create_auth_key(preauthorized=False))
    page.get_by_role("button", name="Enable").click()
    state = page.locator("#tailscale-state")
    expect(state.get_by_text("Waiting for device approval").first).to_be_visible(timeout=TIMEOUT_MS)
    expect(state.get_by_role("link", name="admin console")).to_have_attribute(
        "href", fake_control.url
    )
    screenshot(page, "06-needs-machine-auth")

    node_id = wait_for(lambda: ObservedStatus.load().node_id, timeout=20)
    fake_control.approve(node_id)
    expect(phase_badge(page)).to_have_text("Connected", timeout=TIMEOUT_MS)
