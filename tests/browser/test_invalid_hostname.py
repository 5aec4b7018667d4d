"""A bad hostname is refused with an inline error next to the field."""

import pytest
from playwright.sync_api import expect

from tailscale_sidecar.models import DesiredConfig
from tests.fixtures.web import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_shows_an_inline_error_for_a_bad_hostname(page):
    hostname = page.get_by_label("Hostname")
    hostname.fill("not_valid-")
    page.get_by_role("button", name="Enable").click()
    expect(page.locator("#id_hostname_error")).to_contain_text(
        '"not_valid-" is not a valid hostname'
    )
    expect(page.get_by_label("Hostname")).to_have_attribute("aria-invalid", "true")
    assert not DesiredConfig.load().enabled
    screenshot(page, "07-invalid-hostname")
