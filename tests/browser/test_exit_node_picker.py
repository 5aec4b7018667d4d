"""The exit-node picker: the peers that offer one, choose, and see it in use."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OWNER, PASSWORD, TIMEOUT_MS, phase_badge
from tests.fixtures.web import free_port, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def exit_app(sim_env, web_server, supervisor_process, django_user_model, fake_control, peer_web):
    fake_control.add_device("exit-fra", user="owner@example.com", exit_node=True)
    fake_control.add_device("exit-nyc", user="owner@example.com", exit_node=True)
    django_user_model.objects.create_user(OWNER, password=PASSWORD, is_staff=True)
    supervisor_process(
        sim_env,
        TAILSCALE_OUTBOUND_PROXY_ADDR=f"127.0.0.1:{free_port()}",
        TAILSCALE_EXIT_NODE_CHECK_URL=f"http://127.0.0.1:{peer_web}/check",
        TAILSCALE_HEALTHCHECK_INTERVAL="1",
    )
    return web_server(sim_env)


def test_the_owner_picks_an_exit_node(exit_app, browser_context, fake_control):
    page = browser_context.new_page()
    page.goto(exit_app.url + "/login/")
    page.get_by_label("User name").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Hostname").fill("egress")
    page.get_by_label("Auth key (optional)").fill(fake_control.create_auth_key())
    page.get_by_role("button", name="Enable").click()
    expect(phase_badge(page)).to_have_text("Connected", timeout=TIMEOUT_MS)

    picker = page.get_by_label("Exit node for this app's outbound traffic")
    expect(picker.locator("option")).to_have_count(3, timeout=TIMEOUT_MS)
    picker.select_option(label="exit-fra")
    page.get_by_role("button", name="Save exit node").click()

    state = page.locator("#tailscale-state")
    expect(state.locator('[data-field="exit_node"]')).to_contain_text(
        "exit-fra (online, in use)", timeout=TIMEOUT_MS
    )
    expect(state.get_by_test_id("exit-node-error")).to_have_count(0)
    screenshot(page, "13-exit-node-picker")
