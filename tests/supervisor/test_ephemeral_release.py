"""A clean stop logs an ephemeral node out, so the admin console keeps no dead machine;
a persistent node stays (a restart is not a release), and a crash leaves it to control."""

import pytest

from tests.supervisor.helpers import join_with_key
from tests.supervisor.test_oauth_join import _oauth_env


@pytest.mark.django_db(transaction=True)
def test_an_ephemeral_oauth_node_is_logged_out_on_sigterm(start_supervisor, fake_control):
    _, secret = fake_control.create_oauth_client(["tag:ci"])
    supervisor = start_supervisor(
        **_oauth_env(fake_control, secret), TAILSCALE_OAUTH_EPHEMERAL="true"
    )
    join_with_key(supervisor)
    (node,) = fake_control.nodes()
    assert node["ephemeral"] is True

    assert supervisor.stop() == 0

    assert fake_control.nodes() == []  # control removes an ephemeral node on logout
    assert "ephemeral node: logged out of the tailnet before stopping" in supervisor.log_text()


@pytest.mark.django_db(transaction=True)
def test_an_ephemeral_auth_key_declared_so_is_logged_out_too(start_supervisor, fake_control):
    key = fake_control.create_auth_key(ephemeral=True)
    supervisor = start_supervisor(TAILSCALE_AUTHKEY=key, TAILSCALE_EPHEMERAL="true")
    join_with_key(supervisor)

    supervisor.stop()

    assert fake_control.nodes() == []


@pytest.mark.django_db(transaction=True)
def test_a_persistent_node_stays_on_sigterm(start_supervisor, fake_control):
    _, secret = fake_control.create_oauth_client(["tag:ci"])
    supervisor = start_supervisor(**_oauth_env(fake_control, secret))
    join_with_key(supervisor)

    supervisor.stop()

    (node,) = fake_control.nodes()
    assert node["node_key"] and not node["expired"]
    assert "logged out" not in supervisor.log_text()


@pytest.mark.django_db(transaction=True)
def test_a_crashed_supervisor_leaves_an_ephemeral_node_to_control(start_supervisor, fake_control):
    _, secret = fake_control.create_oauth_client(["tag:ci"])
    supervisor = start_supervisor(
        **_oauth_env(fake_control, secret), TAILSCALE_OAUTH_EPHEMERAL="true"
    )
    join_with_key(supervisor)

    supervisor.kill()

    (node,) = fake_control.nodes()
    assert node["ephemeral"] is True and node["node_key"]
