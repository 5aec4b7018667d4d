"""The owner's tailnet identity opens the https URL in Chromium and lands on Settings →
Tailscale signed in, with no password. The browser is the tailnet device: a
`PeerProxy` turns each of its connections into one from alice's laptop."""

from __future__ import annotations

import pytest

from tailscale_sidecar.simulator.peer import PeerProxy
from tests.fixtures.web import screenshot

TIMEOUT_MS = 20_000


@pytest.mark.django_db(transaction=True)
def test_the_owners_tailnet_identity_lands_on_the_settings_page_signed_in(stack, chromium):
    with PeerProxy(stack.control.url, stack.alice) as proxy:
        # The simulated CA is not in Chromium's store; the certificate itself is
        # checked against it in test_tailnet_sign_in and test_dataplane.
        context = chromium.new_context(
            proxy={"server": proxy.url},
            ignore_https_errors=True,
            viewport={"width": 1100, "height": 900},
        )
        try:
            page = context.new_page()
            page.goto(f"https://{stack.name}/settings/tailscale/", timeout=TIMEOUT_MS)

            assert page.url == f"https://{stack.name}/settings/tailscale/"
            badge = page.locator("#tailscale-state .phase-line .badge")
            badge.filter(has_text="Connected").wait_for(timeout=TIMEOUT_MS)
            https_link = page.locator('[data-field="https_url"] a')
            assert https_link.inner_text() == f"https://{stack.name}/"
            assert "alice@example.com" in page.locator("header").inner_text()
            page.locator("#tailnet-access").scroll_into_view_if_needed()
            screenshot(page, "10-https-front-door-signed-in-by-tailnet-identity")

            # A form post through the front door passes Django's CSRF check (https origin).
            page.get_by_role("button", name="Save").click()
            page.get_by_text("Tailnet access saved.").wait_for(timeout=TIMEOUT_MS)
        finally:
            context.close()


@pytest.mark.django_db(transaction=True)
def test_the_demo_opens_the_app_as_a_tailnet_peer(stack, chromium, django_user_model):
    django_user_model.objects.create_user("owner", password="demo-pass-phrase", is_staff=True)
    owner = chromium.new_context(viewport={"width": 1100, "height": 900})
    try:
        page = owner.new_page()
        page.goto(stack.web.url + "/login/")
        page.get_by_label("User name").fill("owner")
        page.get_by_label("Password").fill("demo-pass-phrase")
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("button", name="Open as a tailnet peer").click()
        proxy = page.get_by_test_id("peer-proxy").inner_text()
        url = page.get_by_test_id("peer-url").inner_text()
        assert url == f"https://{stack.name}/"
        screenshot(page, "11-demo-open-as-a-tailnet-peer")
    finally:
        owner.close()

    peer = chromium.new_context(proxy={"server": proxy}, ignore_https_errors=True)
    try:
        page = peer.new_page()
        page.goto(url + "settings/tailscale/", timeout=TIMEOUT_MS)
        assert page.url == f"https://{stack.name}/settings/tailscale/"
        assert "Log out owner@example.com" in page.locator("header").inner_text()
    finally:
        peer.close()
