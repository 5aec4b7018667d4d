"""State file -> encrypted database row: latency and database writes per change.

A StateDirWatcher (as the supervisor runs it) persists into a real database.
The file is changed the way tailscaled changes it: temp file, fsync, 0600,
rename. Latency runs from the rename to the row's commit. Baseline, interleaved:
the same persist called directly (no watcher, no debounce) on a file of the
same size.

    .venv/bin/python bench/state_sync.py [--changes 200]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import tempfile
import threading
import time
from pathlib import Path

from _common import BenchEnv, ms, summary, write_results

TARGET_P99 = 0.25


def state_bytes() -> bytes:
    """A tailscaled-shaped state file (~2.5 KB) with fresh random values."""

    def b64(n: int) -> str:
        return base64.b64encode(secrets.token_bytes(n)).decode()

    profile = base64.b64encode(json.dumps({"Hostname": "bench", "Pad": b64(900)}).encode())
    state = {
        "_current-profile": base64.b64encode(b"profile-a1b2").decode(),
        "_machinekey": b64(64),
        "_profiles": b64(200),
        "profile-a1b2": profile.decode(),
    }
    return json.dumps(state, indent="\t").encode()


def rename_into_place(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class CountingPersist:
    """persist_state_file, counting its write statements and noting each commit."""

    WRITES = ("INSERT", "UPDATE", "DELETE")

    def __init__(self) -> None:
        self.calls = 0
        self.writes = 0
        self.committed_at = 0.0
        self.done = threading.Condition()

    def _count(self, execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(self.WRITES):
            self.writes += 1
        return execute(sql, params, many, context)

    def __call__(self, path: Path) -> object:
        from django.db import connection

        from tailscale_sidecar.state.store import persist_state_file

        with connection.execute_wrapper(self._count):
            row = persist_state_file(path)
        with self.done:
            self.calls += 1
            self.committed_at = time.monotonic()
            self.done.notify_all()
        return row

    def wait_calls(self, n: int, timeout: float = 10.0) -> None:
        with self.done:
            if not self.done.wait_for(lambda: self.calls >= n, timeout):
                raise TimeoutError(f"the watcher stored {self.calls} of {n} changes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=200)
    args = parser.parse_args()

    env = BenchEnv()
    env.setup_django()
    from tailscale_sidecar.models import StoredState
    from tailscale_sidecar.state.store import persist_state_file
    from tailscale_sidecar.state.watcher import StateDirWatcher

    state_dir = env.root / "tailscale"
    state_dir.mkdir(mode=0o700)
    path = state_dir / "tailscaled.state"
    direct_dir = env.root / "direct"
    direct_dir.mkdir(mode=0o700)
    direct_path = direct_dir / "tailscaled.state"

    persist = CountingPersist()
    watcher = StateDirWatcher(path, on_change=persist)
    watcher.start()
    try:
        latencies: list[float] = []
        direct: list[float] = []
        for _ in range(args.changes):
            rename_into_place(direct_path, state_bytes())
            started = time.monotonic()
            persist_state_file(direct_path)
            direct.append(time.monotonic() - started)

            calls = persist.calls
            renamed_at = time.monotonic()
            rename_into_place(path, state_bytes())
            persist.wait_calls(calls + 1)
            latencies.append(persist.committed_at - renamed_at)
        rows_after_changes = StoredState.objects.count()
        writes_changes, calls_changes = persist.writes, persist.calls

        unchanged = path.read_bytes()
        for _ in range(args.changes):
            calls = persist.calls
            rename_into_place(path, unchanged)
            persist.wait_calls(calls + 1)
        writes_unchanged = persist.writes - writes_changes
        rows_after_unchanged = StoredState.objects.count()
    finally:
        watcher.stop()
        env.cleanup()

    lat, base = summary(latencies), summary(direct)
    figures = {
        "changes": args.changes,
        "debounce_s": 0.05,
        "rename_to_commit_s": lat,
        "direct_persist_s": base,
        "ratio_median_watcher_vs_direct": lat["median"] / base["median"],
        "writes_per_change": writes_changes / calls_changes,
        "rows_for_changes": rows_after_changes - args.changes,  # minus the direct ones
        "writes_for_unchanged_rewrites": writes_unchanged,
        "rows_added_by_unchanged_rewrites": rows_after_unchanged - rows_after_changes,
        "target_p99_s": TARGET_P99,
        "meets_target": lat["p99"] < TARGET_P99,
    }
    path_out = write_results("state_sync", figures)
    print(f"state sync over {args.changes} renamed changes (debounce 50 ms)")
    print(f"  rename -> row committed: p50 {ms(lat['median'])}, p99 {ms(lat['p99'])}")
    print(f"  direct persist (interl.): p50 {ms(base['median'])}, p99 {ms(base['p99'])}")
    print(f"  DB writes per change: {figures['writes_per_change']:.2f} (target 1)")
    print(f"  DB writes for {args.changes} unchanged rewrites: {writes_unchanged} (target 0)")
    print(f"  p99 target < {ms(TARGET_P99)}: {'met' if figures['meets_target'] else 'MISSED'}")
    print(f"  -> {path_out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
