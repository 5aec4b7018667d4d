"""Every state change is one encrypted row; unchanged state adds none; no plaintext keys."""

import pytest

from tailscale_sidecar.models import DesiredConfig, ObservedStatus, StoredState
from tailscale_sidecar.nudge import nudge_supervisor
from tailscale_sidecar.simulator.harness import wait_for
from tailscale_sidecar.state.crypto import get_cipher
from tests.supervisor.helpers import TIMEOUT, data_dir, join_interactively, wait_applied, wait_phase


def state_file_bytes(supervisor) -> bytes:
    return (data_dir(supervisor) / "tailscale" / "tailscaled.state").read_bytes()


@pytest.mark.django_db(transaction=True)
def test_it_stores_each_state_change_once_and_encrypted(start_supervisor, fake_control):
    supervisor = start_supervisor()
    join_interactively(fake_control, supervisor)
    # The newest row is exactly the file on disk.
    wait_for(
        lambda: (
            StoredState.latest_version() is not None
            and get_cipher().decrypt(StoredState.latest_version().ciphertext)
            == state_file_bytes(supervisor)
        ),
        timeout=TIMEOUT,
    )
    rows = StoredState.objects.count()

    # A prefs edit rewrites the state file: exactly one new version.
    desired = DesiredConfig.update(hostname="renamed")
    nudge_supervisor()
    wait_applied(desired.generation, supervisor)
    wait_for(lambda: StoredState.objects.count() == rows + 1, timeout=TIMEOUT)
    rows += 1

    # A restart restores and rewrites the same bytes: no new version.
    assert supervisor.stop() == 0
    restarted = start_supervisor()
    wait_phase("running", restarted)
    wait_for(lambda: restarted.spawn_count() == 1, timeout=TIMEOUT)
    assert StoredState.objects.count() == rows

    plaintext = get_cipher().decrypt(StoredState.latest_version().ciphertext)
    assert b"_machinekey" in plaintext
    for row in StoredState.objects.all():
        assert "privkey" not in row.ciphertext
        assert "_machinekey" not in row.ciphertext
    observed = ObservedStatus.objects.values_list("log_tail", "last_error")
    assert "privkey:" not in repr(list(observed)).replace("privkey:[REDACTED]", "")
