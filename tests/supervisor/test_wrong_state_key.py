"""A wrong TAILSCALE_STATE_KEYS fails with the fix, starts nothing, and leaves the DB alone."""

import pytest

from tailscale_sidecar.models import StoredState
from tailscale_sidecar.state.crypto import generate_key
from tests.supervisor.helpers import join_interactively, wait_phase


@pytest.mark.django_db(transaction=True)
def test_it_fails_with_the_fix_and_keeps_the_stored_state(start_supervisor, fake_control):
    # A configured key: the SECRET_KEY-derived one stays usable whatever is configured.
    first = start_supervisor(TAILSCALE_STATE_KEYS=generate_key())
    join_interactively(fake_control, first)
    assert first.stop() == 0
    rows_before = list(StoredState.objects.values_list("id", "sha256", "ciphertext"))

    second = start_supervisor(TAILSCALE_STATE_KEYS=generate_key())
    status = wait_phase("failed", second)

    assert "TAILSCALE_STATE_KEYS" in status.last_error
    assert second.spawn_count() == 0
    assert list(StoredState.objects.values_list("id", "sha256", "ciphertext")) == rows_before
