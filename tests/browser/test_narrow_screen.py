"""At 375 px wide the page fits the screen: no sideways scrolling."""

import pytest

from tests.fixtures.web import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_page_fits_a_375_px_screen(page):
    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.get_by_role("button", name="Enable").is_visible()
    screenshot(page, "08-phone-375px")
