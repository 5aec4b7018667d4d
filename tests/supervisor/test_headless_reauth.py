"""A headless node re-authenticates itself after its key expires: no link, no click."""

import pytest

from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.simulator.harness import wait_for
from tests.supervisor.helpers import TIMEOUT, observed, wait_phase


@pytest.mark.django_db(transaction=True)
def test_a_node_with_a_reusable_key_comes_back_by_itself(start_supervisor, fake_control):
    key = fake_control.create_auth_key(reusable=True, tags=["tag:web"])
    supervisor = start_supervisor(TAILSCALE_AUTHKEY=key)
    DesiredConfig.update(enabled=True, hostname="headless", advertise_tags=["tag:web"])
    before = wait_phase("running", supervisor)
    old_key = fake_control.node(before.node_id)["node_key"]

    fake_control.expire_key(before.node_id)
    wait_for(
        lambda: (
            (node := fake_control.node(before.node_id))["node_key"] != old_key
            and not node["expired"]
            and observed().phase == "running"
        ),
        timeout=TIMEOUT,
        message=lambda: f"{observed().__dict__}\n{supervisor.log_text()}",
    )

    after = observed()
    assert (after.node_id, after.tailnet_ips) == (before.node_id, before.tailnet_ips)
    assert fake_control.node(before.node_id)["tags"] == ["tag:web"]  # re-auth kept the tags
    assert not [u for u in fake_control.auth_urls() if u.get("hostname") == "headless"]
    assert supervisor.spawn_count() == 1
    assert key not in supervisor.log_text()


@pytest.mark.django_db(transaction=True)
def test_a_used_one_off_key_says_so_and_offers_the_link(start_supervisor, fake_control):
    key = fake_control.create_auth_key()
    supervisor = start_supervisor(TAILSCALE_AUTHKEY=key)
    DesiredConfig.update(enabled=True, hostname="once")
    before = wait_phase("running", supervisor)

    fake_control.expire_key(before.node_id)

    status = wait_for(lambda: (o := observed()).last_error and o, timeout=TIMEOUT)
    assert "invalid key" in status.last_error and "not valid" in status.last_error
    wait_phase("needs_login", supervisor)
