"""Events that follow from ObservedStatus writes, as StatusReporter hands them to the Timeline."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tailscale_sidecar import events
from tailscale_sidecar.supervisor.reconcile import CONTROL_UNREACHABLE_MESSAGE
from tailscale_sidecar.supervisor.timeline import Timeline

UNREACHABLE = CONTROL_UNREACHABLE_MESSAGE.format(control="https://ctl.example")


def story(*writes: dict) -> list[str]:
    """Feed successive writes (each merged into what was written before); the kinds, oldest first."""
    timeline, written = Timeline(), {}
    for write in writes:
        before = dict(written)
        written.update(write)
        timeline.observed(before, written)
    return [event.kind for event in reversed(events.recent(200))]


@pytest.mark.django_db
def test_a_fresh_join():
    assert story(
        {"phase": "starting"},
        {"phase": "needs_login", "auth_url": "https://login.example/a/1", "node_id": ""},
        {"phase": "needs_login"},
        {"phase": "running", "auth_url": "", "node_id": "n1", "tailnet_ips": ["100.64.0.5"]},
    ) == ["login_url", "connected"]
    assert events.recent(1)[0].detail["ips"] == ["100.64.0.5"]
    assert "100.64.0.5" in events.recent(1)[0].message


@pytest.mark.django_db
def test_an_expired_key_and_a_lost_control():
    running = {"phase": "running", "node_id": "n1", "tailnet_ips": ["100.64.0.5"]}
    assert story(
        running,
        {"phase": "starting"},
        {"last_error": UNREACHABLE},
        {**running, "last_error": ""},
        {"phase": "needs_login", "auth_url": "https://login.example/a/2"},
    ) == [
        "connected",
        "disconnected",
        "control_unreachable",
        "control_reachable",
        "connected",
        "login_url",
        "expired",
    ]


@pytest.mark.django_db
def test_the_key_expiry_warning_comes_once_per_expiry(settings):
    settings.TAILSCALE_KEY_EXPIRY_WARNING_DAYS = 14
    soon = timezone.now() + timedelta(days=3)
    later = timezone.now() + timedelta(days=200)
    assert story(
        {"phase": "running", "key_expiry": later},
        {"phase": "running", "key_expiry": soon},
        {"phase": "starting"},
        {"phase": "running"},
        {"phase": "running", "key_expiry": soon + timedelta(days=1)},
    ) == ["connected", "key_expiry_warning", "disconnected", "connected", "key_expiry_warning"]
    assert "expires in 4.0 days" in events.recent(1)[0].message
