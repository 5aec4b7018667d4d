"""SIGSTOP of a supervised tailscaled: time to detection and back to Running.

The supervisor runs with TAILSCALE_HEALTHCHECK_INTERVAL=2 and the default probe
timeout; a hang must be seen within interval + probe timeout. Detection is the
moment a new tailscaled appears in the pidfile (the hung one killed, a new one
spawned, after the first backoff step) or ObservedStatus leaving `running`,
whichever comes first.

    .venv/bin/python bench/hang_detection.py [--hangs 5]
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

INTERVAL = 2.0
PROBE_TIMEOUT = 5.0
FIRST_BACKOFF = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hangs", type=int, default=5)
    args = parser.parse_args()

    with supervised_node_with_floor(
        TAILSCALE_HEALTHCHECK_INTERVAL=f"{INTERVAL:g}",
        TAILSCALE_PROBE_TIMEOUT=f"{PROBE_TIMEOUT:g}",
        TAILSCALE_BACKOFF=f"{FIRST_BACKOFF:g},2,4,8,16",
        TAILSCALE_STABLE_AFTER="1",
    ) as run:
        from tailscale_sidecar.models import ObservedStatus  # Django is set up by now

        supervisor, node_id = run.supervisor, run.node_id
        floor, floor_id = run.floor, run.floor_id

        detect: list[float] = []
        running: list[float] = []
        floors: list[float] = []
        for _ in range(args.hangs):
            wait_for(lambda: ObservedStatus.load().restart_count == 0, timeout=30)
            victim = newest_tailscaled(supervisor)
            stopped_at = time.monotonic()
            os.kill(victim, signal.SIGSTOP)
            wait_for(
                lambda v=victim: (
                    ObservedStatus.load().phase != "running" or newest_tailscaled(supervisor) != v
                ),
                timeout=INTERVAL + PROBE_TIMEOUT + 10,
                interval=0.01,
            )
            detect.append(time.monotonic() - stopped_at)
            wait_for(
                lambda v=victim: newest_tailscaled(supervisor) not in (None, v),
                timeout=30,
                interval=0.01,
            )
            wait_for(
                running_as(tailscaled_socket(supervisor.env), node_id), timeout=30, interval=0.01
            )
            running.append(time.monotonic() - stopped_at)
            floors.append(time_floor_start(floor, floor_id))

    det, run, flo = summary(detect), summary(running), summary(floors)
    bound = INTERVAL + PROBE_TIMEOUT
    figures = {
        "hangs": args.hangs,
        "healthcheck_interval_s": INTERVAL,
        "probe_timeout_s": PROBE_TIMEOUT,
        "first_backoff_s": FIRST_BACKOFF,
        "detection_s": det,
        "to_running_s": run,
        "floor_bare_start_s": flo,
        "detection_bound_s": bound,
        "meets_bound": det["max"] <= bound,
        "detection_max_over_interval": det["max"] / INTERVAL,
    }
    path = write_results("hang_detection", figures)
    print(f"hang detection over {args.hangs} SIGSTOPs (interval {INTERVAL:g} s)")
    print(f"  SIGSTOP -> detected:  median {ms(det['median'])}, max {ms(det['max'])}")
    print(f"  SIGSTOP -> Running:   median {ms(run['median'])}, max {ms(run['max'])}")
    print(f"  floor (bare start):   median {ms(flo['median'])}")
    print(
        f"  bound interval + probe timeout = {bound:g} s: {'met' if det['max'] <= bound else 'MISSED'}"
    )
    print(f"  -> {path}")
    if det["max"] > bound:
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
