"""With the state dir gone, the node comes back from the database, without a login."""

import shutil

import pytest

from tests.supervisor.helpers import data_dir, join_interactively, wait_phase


@pytest.mark.django_db(transaction=True)
def test_it_restores_the_node_from_the_database(start_supervisor, fake_control):
    first = start_supervisor()
    before = join_interactively(fake_control, first)
    assert first.stop() == 0

    shutil.rmtree(data_dir(first) / "tailscale")
    second = start_supervisor()
    after = wait_phase("running", second)

    assert after.node_id == before.node_id
    assert after.tailnet_ips == before.tailnet_ips
    assert (data_dir(second) / "tailscale" / "tailscaled.state").exists()
    assert len(fake_control.nodes()) == 1
