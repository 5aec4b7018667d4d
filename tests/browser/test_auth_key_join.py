"""With an auth key the node joins without any browser login."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS, phase_badge
from tests.fixtures.web import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_joins_headlessly_with_an_auth_key(page, fake_control):
    page.get_by_label("Hostname").fill("keyed")
    page.get_by_label("Auth key (optional)").fill(fake_control.create_auth_key())
    page.get_by_role("button", name="Enable").click()
    state = page.locator("#tailscale-state")
    expect(phase_badge(page)).to_have_text("Connected", timeout=TIMEOUT_MS)
    expect(state.locator('[data-field="dns_name"]')).to_contain_text("keyed.")
    assert state.get_by_role("link", name="Authorize in Tailscale").count() == 0
    screenshot(page, "05-running-auth-key")
