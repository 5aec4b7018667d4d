"""An OAuth client that may not mint the asked-for tags: the page shows the API's refusal."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS, phase_badge
from tests.fixtures.web import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_refused_tag_shows_the_status_the_message_and_the_hint(page, fake_control):
    _, secret = fake_control.create_oauth_client(["tag:ci"])
    page.get_by_label("Hostname").fill("fleet")
    page.get_by_label("Auth key (optional)").fill(f"{secret}?baseURL={fake_control.url}")
    page.get_by_text("Advanced").click()
    page.get_by_label("Tags").fill("tag:prod")
    page.get_by_role("button", name="Enable").click()

    expect(phase_badge(page)).to_have_text("Failed", timeout=TIMEOUT_MS)
    state = page.locator("#tailscale-state")
    expect(state).to_contain_text("403")
    expect(state).to_contain_text("tagOwners")
    expect(state.get_by_role("button", name="Retry")).to_be_visible()
    screenshot(page, "12-oauth-tag-refused")
