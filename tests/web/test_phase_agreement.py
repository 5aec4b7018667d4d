"""The page and the API show one phase, derived once from the applied generation."""

import json
import re

import pytest
from django.utils import timezone

from tailscale_sidecar.models import DesiredConfig, ObservedStatus, Phase


def page_phase(client) -> str:
    html = client.get("/settings/tailscale/").content.decode()
    return re.search(r'data-phase="([a-z_]+)"', html).group(1)


def api_status(client) -> dict:
    return client.get("/api/v1/tailscale").json()


def supervisor_applies() -> None:
    ObservedStatus.write(applied_generation=DesiredConfig.load().generation)


@pytest.mark.django_db
def test_right_after_enable_both_say_starting_then_follow_the_supervisor(owner_client):
    ObservedStatus.write(phase=Phase.DISABLED, supervisor_heartbeat_at=timezone.now())
    owner_client.post("/settings/tailscale/enable/", {"hostname": "web"})
    assert page_phase(owner_client) == "starting"
    body = api_status(owner_client)
    assert (body["phase"], body["pending"]) == ("starting", True)

    ObservedStatus.write(phase=Phase.NEEDS_LOGIN)
    supervisor_applies()
    assert page_phase(owner_client) == api_status(owner_client)["phase"] == "needs_login"
    assert api_status(owner_client)["pending"] is False


@pytest.mark.django_db
def test_right_after_disable_both_say_stopping(owner_client, desired, observe):
    desired(enabled=True, hostname="web")
    observe(phase="running", supervisor_heartbeat_at=timezone.now())
    assert page_phase(owner_client) == api_status(owner_client)["phase"] == "running"
    owner_client.post("/settings/tailscale/disable/")
    assert page_phase(owner_client) == api_status(owner_client)["phase"] == "stopping"


@pytest.mark.django_db
def test_a_retry_after_failure_shows_starting_until_the_supervisor_acts(
    owner_client, desired, observe
):
    desired(enabled=True, hostname="web")
    observe(phase="failed", last_error="boom", supervisor_heartbeat_at=timezone.now())
    assert page_phase(owner_client) == api_status(owner_client)["phase"] == "failed"
    owner_client.post("/settings/tailscale/retry/")
    assert page_phase(owner_client) == api_status(owner_client)["phase"] == "starting"


@pytest.mark.django_db
def test_the_status_embedded_in_the_page_equals_the_api_answer(owner_client, desired):
    desired(enabled=True, hostname="web")
    html = owner_client.get("/settings/tailscale/").content.decode()
    embedded = re.search(
        r'<script id="tailscale-initial-status" type="application/json">(.*?)</script>', html, re.S
    ).group(1)
    assert json.loads(embedded) == api_status(owner_client)


def test_what_each_phase_means():
    assert {p for p in Phase if p.transitional} == {
        Phase.STARTING, Phase.STOPPING, Phase.NEEDS_LOGIN, Phase.NEEDS_MACHINE_AUTH,
        Phase.RESTARTING,
    }  # fmt: skip
    assert {p for p in Phase if p.active} == {
        Phase.STARTING, Phase.NEEDS_LOGIN, Phase.NEEDS_MACHINE_AUTH, Phase.RUNNING,
        Phase.RESTARTING,
    }  # fmt: skip
    assert {p for p in Phase if p.degrades_health} == {Phase.FAILED, Phase.UNAVAILABLE}
