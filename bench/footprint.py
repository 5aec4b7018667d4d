"""Memory and CPU of an idle supervisor with a running node, and of the whole set.

The set is the supervisor, the tailscaled it runs (the simulator here: its own
footprint is not the real daemon's) and gunicorn with its workers. Sampled with
psutil once a second; CPU% is CPU time over wall time for the whole window.

    .venv/bin/python bench/footprint.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import time

import psutil
from _common import (
    ROOT,
    BenchEnv,
    FakeControl,
    free_port,
    http_ok,
    join_supervised_node,
    stop_group,
    wait_for,
    write_results,
)

TARGET_RSS_MB = 80
TARGET_CPU_PCT = 1.0
MB = 1024 * 1024


def family(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def rss(procs: list[psutil.Process]) -> int:
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += proc.memory_info().rss
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()

    env = BenchEnv()
    env.setup_django()
    control = FakeControl(env.root / "control").start()
    supervisor = web = None
    try:
        # Default timings: the idle cost is what production pays.
        supervisor = join_supervised_node(env, control)
        port = free_port()
        web_env = {**env.env, "PORT": str(port), "WEB_ACCESS_LOG": "false"}
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"],
            cwd=ROOT,
            env=web_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(lambda: http_ok(f"http://127.0.0.1:{port}/api/v1/health"), timeout=30)
        time.sleep(5)  # settle after start-up: idle is what is measured

        sup = psutil.Process(supervisor.proc.pid)
        sup_set = family(supervisor.proc.pid)
        web_set = family(web.pid)
        everything = sup_set + web_set
        sup_rss, sup_uss, all_rss = [], [], []
        sup_cpu0, all_cpu0, t0 = cpu_seconds([sup]), cpu_seconds(everything), time.monotonic()
        for _ in range(args.seconds):
            time.sleep(1)
            sup_rss.append(rss([sup]))
            sup_uss.append(sup.memory_full_info().uss)
            all_rss.append(rss(everything))
        wall = time.monotonic() - t0
        sup_cpu = (cpu_seconds([sup]) - sup_cpu0) / wall * 100
        all_cpu = (cpu_seconds(everything) - all_cpu0) / wall * 100
        names = sorted(" ".join(p.cmdline()[1:3])[-60:] for p in everything)
    finally:
        if web is not None:
            stop_group(web)
        if supervisor is not None:
            supervisor.stop()
        control.stop()
        env.cleanup()

    figures = {
        "seconds": args.seconds,
        "supervisor_rss_mb_median": statistics.median(sup_rss) / MB,
        "supervisor_rss_mb_max": max(sup_rss) / MB,
        "supervisor_uss_mb_median": statistics.median(sup_uss) / MB,
        "supervisor_cpu_pct": sup_cpu,
        "process_set": names,
        "process_set_count": len(names),
        "set_rss_mb_median": statistics.median(all_rss) / MB,
        "set_rss_mb_max": max(all_rss) / MB,
        "set_cpu_pct": all_cpu,
        "target_rss_mb": TARGET_RSS_MB,
        "target_cpu_pct": TARGET_CPU_PCT,
        "meets_target": max(sup_rss) / MB < TARGET_RSS_MB and sup_cpu < TARGET_CPU_PCT,
    }
    path = write_results("footprint", figures)
    print(f"idle footprint over {args.seconds} s (node running)")
    print(
        f"  supervisor:        RSS median {figures['supervisor_rss_mb_median']:.1f} MB "
        f"(max {figures['supervisor_rss_mb_max']:.1f}, unique "
        f"{figures['supervisor_uss_mb_median']:.1f}), CPU {sup_cpu:.2f} %"
    )
    print(
        f"  all {len(names)} processes: RSS median {figures['set_rss_mb_median']:.1f} MB, "
        f"CPU {all_cpu:.2f} %"
    )
    print(
        f"  target < {TARGET_RSS_MB} MB and < {TARGET_CPU_PCT} % CPU: "
        f"{'met' if figures['meets_target'] else 'MISSED'}"
    )
    print(f"  -> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
