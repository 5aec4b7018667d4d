"""The watcher stores every rename-replace of the state file, not just the first."""

import hashlib
import time

import pytest

from tailscale_sidecar.models import StoredState
from tailscale_sidecar.state.crypto import get_cipher

from .helpers import make_state, wait_for, write_like_tailscaled

pytestmark = pytest.mark.django_db(transaction=True)


def stored(data: bytes) -> bool:
    return StoredState.objects.filter(sha256=hashlib.sha256(data).hexdigest()).exists()


def test_twenty_successive_renames_are_all_stored(state_key, state_path, start_watcher):
    start_watcher(state_path)
    latencies = []

    for serial in range(20):
        data = make_state(serial=serial)
        written_at = time.monotonic()
        write_like_tailscaled(state_path, data)
        wait_for(lambda data=data: stored(data), what=f"version {serial} to be stored")
        latencies.append(time.monotonic() - written_at)

    assert StoredState.objects.count() == 20
    assert get_cipher().decrypt(StoredState.latest_version().ciphertext) == data
    print(f"rename-to-row latency: median {sorted(latencies)[10] * 1000:.0f} ms")


def test_a_file_present_at_start_is_stored(state_key, state_path, start_watcher):
    data = make_state()
    write_like_tailscaled(state_path, data)

    start_watcher(state_path)

    wait_for(lambda: stored(data), what="the existing file to be stored")


def test_an_in_place_write_is_stored(state_key, state_path, start_watcher):
    start_watcher(state_path)
    data = make_state()

    state_path.write_bytes(data)

    wait_for(lambda: stored(data), what="the in-place write to be stored")
