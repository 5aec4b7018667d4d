"""Celery jobs: key-expiry warnings and state-version pruning."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from tailscale_sidecar import events
from tailscale_sidecar.models import NodeEvent, ObservedStatus, StoredState
from tailscale_sidecar.tasks import check_key_expiry, prune_state_versions


@pytest.mark.django_db
def test_it_warns_when_the_key_expires_soon(caplog, settings):
    settings.TAILSCALE_KEY_EXPIRY_WARNING_DAYS = 14
    ObservedStatus.write(key_expiry=timezone.now() + timedelta(days=3))
    with caplog.at_level(logging.WARNING, logger="tailscale_sidecar.tasks"):
        days = check_key_expiry()
    assert 2.9 < days < 3.1
    assert "expires in 3.0 days" in caplog.text


@pytest.mark.django_db
def test_it_stays_quiet_for_a_distant_or_missing_expiry(caplog):
    ObservedStatus.write(key_expiry=timezone.now() + timedelta(days=90))
    with caplog.at_level(logging.WARNING, logger="tailscale_sidecar.tasks"):
        assert check_key_expiry() > 80
    ObservedStatus.write(key_expiry=None)
    assert check_key_expiry() is None
    assert caplog.text == ""


@pytest.mark.django_db
def test_it_prunes_old_state_versions(settings):
    settings.TAILSCALE_STATE_VERSIONS_KEPT = 2
    for n in range(4):
        StoredState.objects.create(sha256=f"{n:064x}", ciphertext="x", size=1)
    assert prune_state_versions() == 2
    assert StoredState.objects.count() == 2


@pytest.mark.django_db
def test_the_pruning_job_keeps_the_newest_200_events():
    NodeEvent.objects.bulk_create(NodeEvent(kind="exited", message=f"{n}") for n in range(230))
    prune_state_versions()
    assert NodeEvent.objects.count() == events.KEEP
    assert NodeEvent.objects.order_by("-id").first().message == "229"
