"""A TAILSCALE_HOSTNAME template names the node, the same way at every start."""

import socket

import pytest

from tailscale_sidecar.hostname import sanitize
from tailscale_sidecar.models import DesiredConfig
from tests.supervisor.helpers import join_with_key, wait_phase

TEMPLATE = "Tracearr_{region}-{host}-{id}"


@pytest.mark.django_db(transaction=True)
def test_the_template_is_rendered_and_stable_across_a_restart(start_supervisor, fake_control):
    env = {
        "TAILSCALE_HOSTNAME": TEMPLATE,
        "FLY_REGION": "AMS",
        "TAILSCALE_AUTHKEY": fake_control.create_auth_key(),
    }
    supervisor = start_supervisor(**env)

    status = join_with_key(supervisor)

    instance_id = DesiredConfig.load().instance_id
    expected = sanitize(f"tracearr-ams-{socket.gethostname()}-{instance_id}")
    (node,) = fake_control.nodes()
    assert node["hostname"] == expected
    assert status.hostname == expected
    supervisor.stop()

    again = start_supervisor(**env)
    wait_phase("running", again)

    (node,) = fake_control.nodes()
    assert node["hostname"] == expected
    assert DesiredConfig.load().instance_id == instance_id
    # Rendered alike, so nothing to patch after the restart.
    assert "updating tailscaled prefs" not in again.log_text()
