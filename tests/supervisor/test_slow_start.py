"""A `start` slower than the probe timeout (the real one can wait ~5 s for the old
control client) is sent once: one auth URL, no timeout, no forced health probe."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.simulator.harness import wait_for
from tests.fixtures.processes import FAST_SUPERVISOR_ENV
from tests.supervisor.helpers import TIMEOUT, observed, wait_phase

START_DELAY = float(FAST_SUPERVISOR_ENV["TAILSCALE_PROBE_TIMEOUT"]) + 2


@pytest.mark.django_db(transaction=True)
def test_a_slow_start_is_sent_once_and_gives_one_auth_url(start_supervisor, fake_control):
    supervisor = start_supervisor(FAKE_TAILSCALED_START_DELAY=str(START_DELAY))
    DesiredConfig.update(enabled=True)

    auth_url = wait_for(lambda: observed().auth_url, timeout=TIMEOUT + START_DELAY)
    # Several health checks later, nothing has started the login over.
    since = timezone.now() + timedelta(seconds=START_DELAY)
    wait_for(lambda: observed().last_health_check_at > since, timeout=TIMEOUT)
    status = wait_phase("needs_login", supervisor)

    assert status.auth_url == auth_url
    assert [login["url"] for login in fake_control.auth_urls()] == [auth_url]
    assert "did not answer" not in supervisor.log_text()
    assert supervisor.spawn_count() == 1

    fake_control.consent(auth_url)
    wait_phase("running", supervisor)
