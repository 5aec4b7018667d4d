"""kill -9 of a supervised tailscaled: time until it is Running again as the same node.

Floor: a bare start of fake-tailscaled from its state file to Running, measured
in the same run between the kills. The supervisor runs with the default first
backoff step (1 s); figures are given with and without it.

    .venv/bin/python bench/crash_recovery.py [--kills 20]
"""

from __future__ import annotations

import argparse
import os
import signal
import time

from _common import (
    ms,
    newest_tailscaled,
    running_as,
    summary,
    supervised_node_with_floor,
    tailscaled_socket,
    time_floor_start,
    wait_for,
    write_results,
)

FIRST_BACKOFF = 1.0
TARGET_RATIO = 1.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    args = parser.parse_args()

    with supervised_node_with_floor(
        TAILSCALE_BACKOFF=f"{FIRST_BACKOFF:g},2,4,8,16",
        # Healthy for 1 s resets the backoff, so every kill meets the first step.
        TAILSCALE_HEALTHCHECK_INTERVAL="0.5",
        TAILSCALE_STABLE_AFTER="1",
    ) as run:
        from tailscale_sidecar.models import ObservedStatus  # Django is set up by now

        supervisor, node_id = run.supervisor, run.node_id
        floor, floor_id = run.floor, run.floor_id

        recovery: list[float] = []
        respawn: list[float] = []
        floors: list[float] = []
        for _ in range(args.kills):
            wait_for(lambda: ObservedStatus.load().restart_count == 0, timeout=30)
            victim = newest_tailscaled(supervisor)
            killed_at = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            wait_for(lambda v=victim: newest_tailscaled(supervisor) not in (None, v), interval=0.01)
            respawn.append(time.monotonic() - killed_at)
            wait_for(
                running_as(tailscaled_socket(supervisor.env), node_id), timeout=30, interval=0.01
            )
            recovery.append(time.monotonic() - killed_at)
            floors.append(time_floor_start(floor, floor_id))

    without_backoff = [r - FIRST_BACKOFF for r in recovery]
    rec, wob, flo = summary(recovery), summary(without_backoff), summary(floors)
    ratio = wob["median"] / flo["median"]
    figures = {
        "kills": args.kills,
        "first_backoff_s": FIRST_BACKOFF,
        "recovery_s": rec,
        "recovery_minus_first_backoff_s": wob,
        "kill_to_respawn_s": summary(respawn),
        "floor_bare_start_s": flo,
        "ratio_median_excluding_backoff": ratio,
        "ratio_p95_excluding_backoff": wob["p95"] / flo["p95"],
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio <= TARGET_RATIO,
    }
    path = write_results("crash_recovery", figures)
    print(f"crash recovery over {args.kills} kill -9 (same node id each time)")
    print(f"  kill -> Running:             median {ms(rec['median'])}, p95 {ms(rec['p95'])}")
    print(f"  minus first backoff (1 s):   median {ms(wob['median'])}, p95 {ms(wob['p95'])}")
    print(f"  floor (bare start, interl.): median {ms(flo['median'])}, p95 {ms(flo['p95'])}")
    print(f"  ratio (excl. backoff):       {ratio:.2f} (target <= {TARGET_RATIO})")
    print(f"  -> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
