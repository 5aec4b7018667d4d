"""A failing on_change (a database outage) is retried until the change lands."""

import threading
import time

from django.db import OperationalError

from .helpers import make_state, wait_for, write_like_tailscaled


class FlakyStore:
    """Fails the first `failures` calls, like a database that is down for a while."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts: list[float] = []
        self.stored: list[bytes] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def __call__(self, path) -> None:
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            self.attempts.append(time.monotonic())
            time.sleep(0.01)  # widen the window in which a second call could overlap
            if len(self.attempts) <= self.failures:
                raise OperationalError("database is down")
            self.stored.append(path.read_bytes())
        finally:
            with self._lock:
                self.active -= 1


def test_a_failing_store_is_retried_until_it_succeeds(state_path, start_watcher, caplog):
    store = FlakyStore(failures=3)
    start_watcher(state_path, on_change=store)
    data = make_state()

    write_like_tailscaled(state_path, data)

    wait_for(lambda: store.stored, what="the change to land after the outage")
    assert store.stored == [data]
    assert len(store.attempts) == 4
    gaps = [b - a for a, b in zip(store.attempts, store.attempts[1:], strict=False)]
    assert gaps[1] > gaps[0] * 1.5  # backoff grows
    assert "could not store the Tailscale state; retrying" in caplog.text


def test_on_change_never_runs_concurrently(state_path, start_watcher):
    store = FlakyStore(failures=0)
    watcher = start_watcher(state_path, on_change=store, debounce=0.0, max_delay=0.0)

    for serial in range(15):
        write_like_tailscaled(state_path, make_state(serial=serial))
        watcher.flush()

    wait_for(lambda: len(store.stored) >= 16, what="flushes and watcher calls")
    assert store.max_active == 1
