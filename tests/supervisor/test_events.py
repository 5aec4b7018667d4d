"""The node's timeline, written by a real supervisor on the simulator and read through the API."""

import os
import signal

import pytest
from django.test import Client

from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.simulator.harness import wait_for
from tailscale_sidecar.web.tokens import create_token
from tests.supervisor.helpers import TIMEOUT, join_interactively, tailscaled_pid, wait_phase


@pytest.fixture
def api(django_user_model):
    owner = django_user_model.objects.create_user("owner", password="x", is_staff=True)
    client = Client(headers={"Authorization": f"Bearer {create_token(owner, 'events')[1]}"})

    def events(limit: int = 200) -> list[dict]:
        response = client.get(f"/api/v1/tailscale/events?limit={limit}")
        assert response.status_code == 200, response.content
        return response.json()["events"]

    return events


def kinds(events: list[dict]) -> list[str]:
    """Oldest first, for reading."""
    return [event["kind"] for event in reversed(events)]


def wait_kind(api, kind: str, supervisor, count: int = 1) -> list[dict]:
    """The events once `count` of `kind` are among them."""

    def enough() -> list[dict] | None:
        events = api()
        return events if kinds(events).count(kind) >= count else None

    try:
        return wait_for(enough, timeout=TIMEOUT)
    except TimeoutError as exc:
        raise AssertionError(
            f"no {kind!r} in {kinds(api())}\n{supervisor.log_text()[-3000:]}"
        ) from exc


@pytest.mark.django_db(transaction=True)
def test_a_join_a_crash_and_a_disable_tell_their_story(start_supervisor, fake_control, api):
    supervisor = start_supervisor()
    running = join_interactively(fake_control, supervisor)
    events = wait_kind(api, "connected", supervisor)
    assert kinds(events) == ["enabled", "login_url", "connected"]
    connected = events[0]
    assert connected["detail"]["ips"] == running.tailnet_ips
    assert running.tailnet_ips[0] in connected["message"]
    # The login link carries a login code: never in the history.
    assert all("http" not in event["message"] for event in events)

    os.kill(tailscaled_pid(supervisor), signal.SIGKILL)
    events = wait_kind(api, "connected", supervisor, count=2)
    story = kinds(events)[3:]
    assert story == ["exited", "restarted", "connected"], story
    exited, restarted = events[2], events[1]
    assert exited["detail"]["code"] == -signal.SIGKILL
    assert restarted["detail"] == {"attempt": 1, "delay": 0.2}

    DesiredConfig.update(enabled=False)
    wait_phase("disabled", supervisor)
    assert kinds(wait_kind(api, "disabled", supervisor))[-1] == "disabled"
    assert [e["kind"] for e in api(limit=1)] == ["disabled"]


@pytest.mark.django_db(transaction=True)
def test_a_crash_loop_ends_in_gave_up(start_supervisor, api):
    supervisor = start_supervisor(FAKE_TAILSCALED_CRASH_AFTER="0", TAILSCALE_BACKOFF="0.1,0.1,0.1")
    DesiredConfig.update(enabled=True)
    events = wait_kind(api, "gave_up", supervisor)
    story = kinds(events)
    assert story.count("restarted") == 3 and story.count("exited") == 4, story
    assert events[0]["detail"] == {"restarts": 3}
