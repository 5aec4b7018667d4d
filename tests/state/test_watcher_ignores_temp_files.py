"""tailscaled's temp files and other files in the directory never trigger a store."""

import threading
import time

from .helpers import make_state, wait_for, write_like_tailscaled


def test_temp_files_and_neighbours_do_not_trigger_on_change(state_path, start_watcher):
    calls: list[tuple[float, bytes | None]] = []
    called = threading.Event()

    def record(path) -> None:
        calls.append((time.monotonic(), path.read_bytes() if path.exists() else None))
        called.set()

    start_watcher(state_path, on_change=record)
    for n in range(5):
        tmp = state_path.with_name(f"{state_path.name}.tmp{1000 + n}")
        tmp.write_bytes(make_state(serial=n))
        tmp.rename(state_path.with_name(f"left-behind.tmp{n}"))
    state_path.with_name(f"{state_path.name}.tmp999").write_bytes(b"{}")
    (state_path.parent / "derpmap.cached.json").write_bytes(b"{}")
    # Stimulus, not assertion: give a wrong watcher time (well past max_delay) to fire.
    time.sleep(0.6)
    real = make_state(serial=42)
    real_written_at = time.monotonic()
    write_like_tailscaled(state_path, real)

    wait_for(called.is_set, what="the real write to be seen")
    assert [content for _, content in calls] == [real]
    assert calls[0][0] >= real_written_at
