"""A running node: the tailnet URL with a copy button and a QR code, and a timeline that
follows a crash live (no reload)."""

import json
import os
import signal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS, phase_badge
from tests.fixtures.web import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tailscaled_pid(sim_env) -> int:
    pidfile = Path(sim_env["TRACEARR_DATA_DIR"]) / "run" / "tailscaled.pid"
    return int(json.loads(pidfile.read_text())["pid"])


def test_the_url_has_a_qr_code_and_the_timeline_follows_a_crash(page, fake_control, sim_env):
    page.get_by_label("Hostname").fill("phone-me")
    page.get_by_label("Auth key (optional)").fill(fake_control.create_auth_key())
    page.get_by_role("button", name="Enable").click()
    expect(phase_badge(page)).to_have_text("Connected", timeout=TIMEOUT_MS)
    state = page.locator("#tailscale-state")
    # Once the timeline shows it, the page has settled (no swap under the click).
    timeline = state.get_by_test_id("timeline")
    expect(timeline.locator('[data-kind="connected"]')).to_have_count(1, timeout=TIMEOUT_MS)
    url = state.locator('[data-field="url"] a').get_attribute("href")
    assert url.startswith("http://phone-me.")

    qr = state.get_by_test_id("tailnet-qr")
    expect(qr.locator("svg")).to_be_visible()
    assert qr.locator("svg title").text_content() == f"QR code for {url}"
    assert qr.locator("svg path").count() >= 1
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy = state.locator("button[data-copy]")
    expect(copy).to_have_text("Copy")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == url

    page.evaluate("window.__stillTheSamePage = true")

    os.kill(tailscaled_pid(sim_env), signal.SIGKILL)
    # Newest first: connected again, above the restart, above the exit.
    expect(timeline.locator('[data-kind="connected"]')).to_have_count(2, timeout=TIMEOUT_MS)
    kinds = timeline.locator("[data-kind]").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('data-kind'))"
    )
    assert kinds[:3] == ["connected", "restarted", "exited"], kinds
    assert kinds[-1] == "enabled", kinds
    exited = timeline.locator('[data-kind="exited"]')
    expect(exited).to_contain_text("exited with code -9")
    expect(exited.locator("[data-relative]")).to_have_text("just now")
    expect(exited.locator(".event-absolute")).to_contain_text("UTC")
    assert page.evaluate("window.__stillTheSamePage") is True
    expect(phase_badge(page)).to_have_text("Connected", timeout=TIMEOUT_MS)
    screenshot(page, "09-running-qr-and-timeline")
