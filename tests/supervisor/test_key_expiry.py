"""An expired node key asks for re-authentication; consent brings the same node back."""

import pytest

from tailscale_sidecar.simulator.harness import wait_for
from tests.supervisor.helpers import TIMEOUT, join_interactively, observed, wait_phase


@pytest.mark.django_db(transaction=True)
def test_an_expired_key_gets_a_reauth_url_and_keeps_the_node(start_supervisor, fake_control):
    supervisor = start_supervisor()
    before = join_interactively(fake_control, supervisor)
    assert before.key_expiry is not None

    fake_control.expire_key(before.node_id)
    auth_url = wait_for(lambda: observed().auth_url, timeout=TIMEOUT)
    wait_phase("needs_login", supervisor)

    fake_control.consent(auth_url)
    after = wait_phase("running", supervisor)
    assert after.node_id == before.node_id
    assert after.tailnet_ips == before.tailnet_ips
    assert supervisor.spawn_count() == 1
