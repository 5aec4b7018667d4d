"""Enable → authorize in a new tab → running on the original tab, without a reload;
then Disable and re-Enable without a new login, then Reset."""

import pytest
from playwright.sync_api import expect

from tailscale_sidecar.models import ObservedStatus
from tests.browser.conftest import TIMEOUT_MS, phase_badge
from tests.fixtures.web import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def state(page):
    return page.locator("#tailscale-state")


def test_the_owner_joins_disconnects_reconnects_and_resets(page, fake_control):
    screenshot(page, "01-disabled")
    page.get_by_label("Hostname").fill("web-ui")
    page.get_by_role("button", name="Enable").click()
    # A marker that a reload would wipe: the page must update in place.
    page.evaluate("window.__stillTheSamePage = true")

    authorize = page.get_by_role("link", name="Authorize in Tailscale")
    expect(authorize).to_be_visible(timeout=TIMEOUT_MS)
    assert authorize.get_attribute("target") == "_blank"
    assert authorize.get_attribute("rel") == "noopener noreferrer"
    screenshot(page, "02-needs-login")

    with page.context.expect_page() as new_tab:
        authorize.click()
    consent = new_tab.value
    consent.get_by_role("button", name="Connect").click()
    # Close only once control's answer has loaded: closing a tab mid-navigation
    # once hung page.close() (it has no timeout) until pytest's 300 s limit.
    expect(consent.get_by_text("is connected")).to_be_visible(timeout=TIMEOUT_MS)
    consent.close()

    expect(phase_badge(page)).to_have_text("Connected", timeout=TIMEOUT_MS)
    status = ObservedStatus.load()
    ipv4 = next(ip for ip in status.tailnet_ips if "." in ip)
    expect(state(page).locator('[data-field="ipv4"]')).to_have_text(ipv4)
    expect(state(page).locator('[data-field="dns_name"]')).to_have_text(status.dns_name.rstrip("."))
    assert page.evaluate("window.__stillTheSamePage") is True
    screenshot(page, "03-running")

    node_id = status.node_id
    state(page).get_by_role("button", name="Disable").click()
    expect(state(page).get_by_role("button", name="Enable")).to_be_visible(timeout=TIMEOUT_MS)
    state(page).get_by_role("button", name="Enable").click()
    expect(phase_badge(page)).to_have_text("Connected", timeout=TIMEOUT_MS)
    # Same node, and never back through the login step.
    assert ObservedStatus.load().node_id == node_id
    assert len(fake_control.nodes()) == 1

    state(page).get_by_role("button", name="Reset").click()
    expect(state(page).get_by_role("button", name="Enable")).to_be_visible(timeout=TIMEOUT_MS)
    screenshot(page, "04-after-reset")
