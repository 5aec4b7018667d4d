"""GET /api/v1/health: open to anyone, says ok or degraded and nothing else."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone


def health() -> dict:
    response = Client().get("/api/v1/health")
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
def test_it_is_ok_when_disabled():
    assert health() == {"status": "ok"}


@pytest.mark.django_db
def test_it_is_ok_when_running_with_a_live_supervisor(desired, observe):
    desired(enabled=True, hostname="web")
    observe(
        phase="running",
        dns_name="web.tail1234.ts.net.",
        tailnet_ips=["100.64.0.1"],
        last_error="old",
        supervisor_heartbeat_at=timezone.now(),
    )
    assert health() == {"status": "ok"}


@pytest.mark.django_db
@pytest.mark.parametrize("phase", ["failed", "unavailable"])
def test_it_is_degraded_when_enabled_but_broken(desired, observe, phase):
    desired(enabled=True, hostname="web")
    observe(phase=phase, last_error="secret detail", supervisor_heartbeat_at=timezone.now())
    assert health() == {"status": "degraded"}


@pytest.mark.django_db
def test_it_is_degraded_when_the_supervisor_is_silent(desired, observe, settings):
    settings.TAILSCALE_HEALTHCHECK_INTERVAL = 30
    desired(enabled=True, hostname="web")
    observe(phase="running", supervisor_heartbeat_at=timezone.now() - timedelta(minutes=5))
    assert health() == {"status": "degraded"}
