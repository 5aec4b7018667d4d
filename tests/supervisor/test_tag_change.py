"""Changing the tags of a registered node: control expires its key (as Tailscale's does,
tailscale/tailscale#13572), so the change ends in a clear re-auth, or, with a key
configured, in a re-auth with that key and no click. Every re-auth carries the tags."""

import pytest

from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.simulator.harness import wait_for
from tests.supervisor.helpers import TIMEOUT, join_interactively, observed, wait_phase


@pytest.mark.django_db(transaction=True)
def test_a_tag_change_control_refuses_ends_in_a_reauth_that_carries_the_tags(
    start_supervisor, fake_control
):
    supervisor = start_supervisor()
    before = join_interactively(fake_control, supervisor)

    DesiredConfig.update(advertise_tags=["tag:web"])

    auth_url = wait_for(lambda: observed().auth_url, timeout=TIMEOUT, message=supervisor.log_text)
    assert observed().phase == "needs_login"
    fake_control.consent(auth_url)
    after = wait_phase("running", supervisor)
    assert after.node_id == before.node_id
    assert fake_control.node(before.node_id)["tags"] == ["tag:web"]


@pytest.mark.django_db(transaction=True)
def test_with_a_key_a_tag_change_reauths_by_itself(start_supervisor, fake_control):
    key = fake_control.create_auth_key(reusable=True)
    supervisor = start_supervisor(TAILSCALE_AUTHKEY=key)
    DesiredConfig.update(enabled=True, hostname="keyed")
    before = wait_phase("running", supervisor)

    DesiredConfig.update(advertise_tags=["tag:web"])

    wait_for(
        lambda: (
            fake_control.node(before.node_id)["tags"] == ["tag:web"]
            and observed().phase == "running"
        ),
        timeout=TIMEOUT,
        message=supervisor.log_text,
    )
    assert not fake_control.auth_urls()
    assert observed().node_id == before.node_id
