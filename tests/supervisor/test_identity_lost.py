"""A node logged out from outside, or deleted in the admin console, loses the name
and IPs on the page (and in the Host allow-list), and asks for a new login."""

import pytest

from tailscale_sidecar.localapi import LocalAPIClient
from tailscale_sidecar.simulator.harness import wait_for
from tests.supervisor.helpers import (
    TIMEOUT,
    data_dir,
    join_interactively,
    observed,
    wait_phase,
)


def identity_cleared() -> bool:
    status = observed()
    return (status.node_id, status.hostname, status.dns_name, status.tailnet_ips) == (
        "",
        "",
        "",
        [],
    )


@pytest.mark.django_db(transaction=True)
def test_an_outside_logout_clears_the_identity(start_supervisor, fake_control):
    supervisor = start_supervisor()
    assert join_interactively(fake_control, supervisor).node_id

    # What `tailscale logout` on the host does.
    with LocalAPIClient(data_dir(supervisor) / "run" / "tailscaled.sock") as client:
        client.logout()

    wait_for(identity_cleared, timeout=TIMEOUT)
    status = wait_phase("needs_login", supervisor)
    assert status.tailnet_name == "" and status.key_expiry is None
    new_url = wait_for(lambda: observed().auth_url, timeout=TIMEOUT)
    fake_control.consent(new_url)
    after = wait_phase("running", supervisor)
    assert after.node_id and after.tailnet_ips
    assert supervisor.spawn_count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_node_deleted_at_control_clears_the_identity(start_supervisor, fake_control):
    supervisor = start_supervisor()
    before = join_interactively(fake_control, supervisor)

    fake_control.delete_node(before.node_id)

    wait_for(identity_cleared, timeout=TIMEOUT)
    assert wait_phase("needs_login", supervisor).tailnet_ips == []
