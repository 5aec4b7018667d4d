"""The Settings page shows the node's timeline under the status, newest first, with both times."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tailscale_sidecar import events
from tailscale_sidecar.events import Kind
from tailscale_sidecar.models import NodeEvent


@pytest.mark.django_db
def test_the_page_lists_events_newest_first(owner_client):
    events.record(Kind.EXITED, "tailscaled exited with code -9.", code=-9)
    restarted = events.record(Kind.RESTARTED, "Restarting tailscaled (attempt 1, after 1s).")
    NodeEvent.objects.filter(kind="exited").update(created_at=timezone.now() - timedelta(hours=3))
    html = owner_client.get("/settings/tailscale/").content.decode()
    timeline = html[html.index('data-testid="timeline"') :]
    assert f'data-latest-event="{restarted.id}"' in timeline
    assert timeline.index("Restarting tailscaled") < timeline.index("exited with code -9")
    assert "3\xa0hours ago" in timeline
    assert f"{restarted.created_at:%Y-%m-%d %H:%M:%S} UTC" in timeline


@pytest.mark.django_db
def test_the_fragment_carries_the_timeline_too(owner_client):
    events.record(Kind.ENABLED, "Tailscale turned on.")
    html = owner_client.get("/settings/tailscale/fragment/").content.decode()
    assert "Tailscale turned on." in html and "Turned on" in html


@pytest.mark.django_db
def test_an_empty_timeline_says_so(owner_client):
    html = owner_client.get("/settings/tailscale/").content.decode()
    assert 'data-latest-event="null"' in html
    assert "Nothing yet" in html
