"""Run every benchmark, one after the other, and print one table of the key figures.

    .venv/bin/python bench/run_all.py [--quick]

--quick runs fewer repetitions (for a smoke check, not for quoting).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from _common import RESULTS_DIR, ROOT

QUICK_ARGS = {
    "crash_recovery": ["--kills", "5"],
    "hang_detection": ["--hangs", "2"],
    "state_sync": ["--changes", "50"],
    "status_api": ["--duration", "3", "--rounds", "1"],
    "footprint": ["--seconds", "15"],
    "boot": ["--rounds", "1"],
    "front_door": ["--seconds", "2", "--rounds", "1"],
}


def rows(name: str, r: dict) -> list[tuple[str, str, str, str]]:
    """(figure, value, baseline / target, verdict) lines for one result file."""
    ok = lambda met: "ok" if met else "MISSED"  # noqa: E731
    if name == "crash_recovery":
        wob, flo = r["recovery_minus_first_backoff_s"], r["floor_bare_start_s"]
        return [
            (
                "kill -9 -> Running (median/p95)",
                f"{r['recovery_s']['median']:.2f}/{r['recovery_s']['p95']:.2f} s",
                "incl. 1 s backoff",
                "",
            ),
            (
                "  minus first backoff",
                f"{wob['median']:.2f}/{wob['p95']:.2f} s",
                f"floor {flo['median']:.2f}/{flo['p95']:.2f} s",
                "",
            ),
            (
                "  ratio to floor (median)",
                f"{r['ratio_median_excluding_backoff']:.2f}",
                "<= 1.5",
                ok(r["meets_target"]),
            ),
        ]
    if name == "hang_detection":
        d = r["detection_s"]
        return [
            (
                "SIGSTOP -> detected (median/max)",
                f"{d['median']:.2f}/{d['max']:.2f} s",
                f"<= {r['detection_bound_s']:g} s",
                ok(r["meets_bound"]),
            ),
            (
                "SIGSTOP -> Running (median)",
                f"{r['to_running_s']['median']:.2f} s",
                f"floor {r['floor_bare_start_s']['median']:.2f} s",
                "",
            ),
        ]
    if name == "state_sync":
        lat = r["rename_to_commit_s"]
        return [
            (
                "rename -> row (p50/p99)",
                f"{lat['median'] * 1000:.0f}/{lat['p99'] * 1000:.0f} ms",
                "p99 < 250 ms",
                ok(r["meets_target"]),
            ),
            (
                "  direct persist (p50)",
                f"{r['direct_persist_s']['median'] * 1000:.1f} ms",
                "baseline",
                "",
            ),
            (
                "DB writes per change",
                f"{r['writes_per_change']:.2f}",
                "1",
                ok(r["writes_per_change"] == 1),
            ),
            (
                "DB writes, unchanged rewrites",
                str(r["writes_for_unchanged_rewrites"]),
                "0",
                ok(r["writes_for_unchanged_rewrites"] == 0),
            ),
        ]
    if name == "status_api":
        return [
            (
                "GET /health req/s (p99)",
                f"{r['health_rps_median']:.0f} ({r['health_p99_s_median'] * 1000:.0f} ms)",
                "baseline",
                "",
            ),
            (
                "GET /tailscale req/s (p99)",
                f"{r['status_rps_median']:.0f} ({r['status_p99_s_median'] * 1000:.0f} ms)",
                "",
                "",
            ),
            (
                "  ratio status/health",
                f"{r['ratio_status_over_health']:.2f}",
                ">= 0.8",
                ok(r["meets_target"]),
            ),
        ]
    if name == "footprint":
        return [
            (
                f"whole tree PSS ({r['processes']} processes)",
                f"{r['tree_pss_mb']:.0f} MB (RSS {r['tree_rss_mb']:.0f})",
                f"<= {r['target_tree_pss_mb']} MB",
                ok(r["tree_pss_mb"] <= r["target_tree_pss_mb"]),
            ),
            (
                "idle DB writes",
                f"{r['db_writes_per_min']:.1f} / min",
                f"<= {r['target_db_writes_per_min']} / min",
                ok(r["db_writes_per_min"] <= r["target_db_writes_per_min"]),
            ),
            (
                "supervisor RSS, CPU",
                f"{r['supervisor_rss_mb']:.0f} MB, {r['supervisor_cpu_pct']:.2f} %",
                "< 80 MB, < 1 %",
                ok(r["supervisor_rss_mb"] < 80 and r["supervisor_cpu_pct"] < 1.0),
            ),
        ]
    if name == "boot":
        return [
            (
                "bin/run -> healthy (median)",
                f"{r['bin_run_to_healthy_s']['median']:.2f} s",
                f"gunicorn alone {r['gunicorn_alone_to_healthy_s']['median']:.2f} s",
                "",
            ),
            (
                "restore from DB -> Running",
                f"{r['supervisor_restore_to_running_s']['median']:.2f} s",
                f"floor {r['floor_bare_start_s']['median']:.2f} s",
                "",
            ),
        ]
    if name == "front_door":
        rps, cost = r["rps_median"], r["identity_cost"]
        target = r["target_identity_cost"]
        return [
            (
                "health req/s direct / plain / https",
                f"{rps['direct']:.0f} / {rps['plain']:.0f} / {rps['https']:.0f}",
                f"https/direct {r['ratio_https_over_direct']:.2f}",
                "",
            ),
            (
                "  identity work, worst path",
                f"{max(cost.values()) * 100:.1f} %",
                f"<= {target:.0%}",
                ok(r["meets_target"]),
            ),
        ]
    return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    failed = []
    for name, quick in QUICK_ARGS.items():
        print(f"== {name}", flush=True)
        cmd = [sys.executable, str(ROOT / "bench" / f"{name}.py"), *(quick if args.quick else [])]
        if subprocess.run(cmd, cwd=ROOT).returncode != 0:
            failed.append(name)
    table = []
    for name in QUICK_ARGS:
        path = RESULTS_DIR / f"{name}.json"
        if path.exists() and name not in failed:
            table += rows(name, json.loads(path.read_text()))
    width = max(len(r[0]) for r in table) if table else 0
    print()
    for figure, value, reference, verdict in table:
        print(f"{figure:<{width}}  {value:<26} {reference:<26} {verdict}")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
