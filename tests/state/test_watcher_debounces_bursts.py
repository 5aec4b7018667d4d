"""A burst of writes becomes one call; a steady stream still gets calls within max_delay."""

import threading
import time

import pytest

from tailscale_sidecar.models import StoredState
from tailscale_sidecar.state.crypto import get_cipher

from .helpers import make_state, wait_for, write_like_tailscaled


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_renames_is_stored_once(state_key, state_path, start_watcher):
    # A long quiet period so the burst (a few ms) cannot be split by scheduling noise.
    watcher = start_watcher(state_path, debounce=0.5, max_delay=5.0)
    burst = [make_state(serial=n) for n in range(10)]

    for data in burst:
        write_like_tailscaled(state_path, data)

    wait_for(lambda: StoredState.objects.exists(), what="the burst to be stored")
    watcher.stop()
    assert StoredState.objects.count() == 1
    assert get_cipher().decrypt(StoredState.latest_version().ciphertext) == burst[-1]


def test_a_steady_stream_is_not_held_back_past_max_delay(state_path, start_watcher):
    calls: list[float] = []
    called = threading.Event()

    def record(path) -> None:
        calls.append(time.monotonic())
        called.set()

    # Writes every 20 ms never leave 0.5 s of quiet: only max_delay can fire.
    start_watcher(state_path, on_change=record, debounce=0.5, max_delay=0.2)
    started = time.monotonic()
    serial = 0
    while not called.is_set() and time.monotonic() - started < 10:
        write_like_tailscaled(state_path, make_state(serial=serial))
        serial += 1
        time.sleep(0.02)
    stopped_writing = time.monotonic()

    wait_for(lambda: calls, what="a call")
    assert calls[0] <= stopped_writing
    print(f"first call {1000 * (calls[0] - started):.0f} ms into a steady stream")
