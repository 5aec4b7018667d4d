"""An auth key from the page joins the tailnet headless: no auth URL at any point."""

import pytest

from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.state.crypto import get_cipher
from tests.supervisor.helpers import wait_phase


@pytest.mark.django_db(transaction=True)
def test_it_joins_with_the_stored_auth_key(start_supervisor, fake_control):
    supervisor = start_supervisor()
    key = fake_control.create_auth_key()
    DesiredConfig.update(
        enabled=True, hostname="headless", auth_key_encrypted=get_cipher().encrypt(key.encode())
    )

    status = wait_phase("running", supervisor)

    assert status.auth_url == ""
    assert status.dns_name.startswith("headless.")
    assert key not in supervisor.log_text()
    assert "tskey-" not in repr(status.log_tail).replace("tskey-[REDACTED]", "")
