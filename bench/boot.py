"""Boot times: `bin/run` to healthy, and a supervisor restoring the node from the DB.

1. `bin/run` on a fresh data dir (migrate, owner, collectstatic, tracearr.procfile with
   web, supervisor, worker) until GET /api/v1/health answers 200.
   Baseline, interleaved: gunicorn alone on the same, already migrated, data.
2. A new supervisor with the state dir deleted (only the encrypted DB copy
   left) until the node is Running with the same node ID. Baseline,
   interleaved: a bare fake-tailscaled start from its state file.

    .venv/bin/python bench/boot.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _common import (
    ROOT,
    BenchEnv,
    FakeControl,
    floor_node,
    free_port,
    http_ok,
    join_supervised_node,
    ms,
    running_as,
    start_supervisor,
    stop_group,
    summary,
    tailscaled_socket,
    time_floor_start,
    wait_for,
    write_results,
)


def time_tohttp_ok(cmd: list[str], env: dict[str, str], port: int, log_path) -> float:
    started = time.monotonic()
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_for(
            lambda: http_ok(f"http://127.0.0.1:{port}/api/v1/health"),
            timeout=120,
            interval=0.02,
            message=f"{cmd[0]} never became healthy; see {log_path}",
        )
        return time.monotonic() - started
    except TimeoutError:
        print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        stop_group(proc)


def bench_bin_run(env: BenchEnv, rounds: int) -> tuple[list[float], list[float]]:
    runs, floors = [], []
    for i in range(rounds):
        data = env.root / f"run-{i}"
        port = free_port()
        run_env = {
            k: v for k, v in env.env.items() if k not in ("DATABASE_URL", "TAILSCALE_STATE_KEYS")
        }
        run_env.update({"TRACEARR_DATA_DIR": str(data), "PORT": str(port), "DEBUG": "true"})
        runs.append(time_tohttp_ok(["bin/run"], run_env, port, env.root / "bin-run.log"))
        # Same data dir (migrated, static collected): the web process alone.
        web_env = {
            **run_env,
            "TAILSCALE_STATE_KEYS_FILE": str(data / "state_keys"),
        }
        web_env["PORT"] = str(port := free_port())
        gunicorn = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"]
        floors.append(time_tohttp_ok(gunicorn, web_env, port, env.root / "gunicorn.log"))
    return runs, floors


def bench_restore(env: BenchEnv, rounds: int) -> tuple[list[float], list[float]]:
    from tailscale_sidecar.models import ObservedStatus, StoredState

    control = FakeControl(env.root / "control").start()
    supervisor = None
    restores, floors = [], []
    try:
        supervisor = join_supervised_node(env, control)
        node_id = ObservedStatus.load().node_id
        floor, floor_id = floor_node(control, env.root)
        sup_env, log_path = supervisor.env, supervisor.log_path
        state_dir = Path(sup_env["TRACEARR_DATA_DIR"]) / "tailscale"
        for _ in range(rounds):
            supervisor.cleanup()
            assert StoredState.objects.exists(), "nothing stored to restore from"
            shutil.rmtree(state_dir)
            started = time.monotonic()
            supervisor = start_supervisor(sup_env, log_path)
            wait_for(running_as(tailscaled_socket(sup_env), node_id), timeout=60, interval=0.01)
            restores.append(time.monotonic() - started)
            floors.append(time_floor_start(floor, floor_id))
    finally:
        if supervisor is not None:
            supervisor.cleanup()
        control.stop()
    return restores, floors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not os.access(ROOT / "bin" / "run", os.X_OK):
        print("bin/run is missing", file=sys.stderr)
        return 2

    env = BenchEnv()
    env.setup_django()
    try:
        runs, web_floors = bench_bin_run(env, args.rounds)
        restores, node_floors = bench_restore(env, args.rounds)
    finally:
        env.cleanup()

    run, web, res, flo = summary(runs), summary(web_floors), summary(restores), summary(node_floors)
    figures = {
        "rounds": args.rounds,
        "bin_run_to_healthy_s": run,
        "gunicorn_alone_to_healthy_s": web,
        "ratio_bin_run_over_gunicorn": run["median"] / web["median"],
        "supervisor_restore_to_running_s": res,
        "floor_bare_start_s": flo,
        "ratio_restore_over_floor": res["median"] / flo["median"],
    }
    path = write_results("boot", figures)
    print(f"boot over {args.rounds} rounds")
    print(f"  bin/run (fresh data) -> healthy: median {ms(run['median'])}, max {ms(run['max'])}")
    print(f"  gunicorn alone -> healthy:       median {ms(web['median'])}")
    print(f"  ratio:                           {figures['ratio_bin_run_over_gunicorn']:.2f}")
    print(f"  supervisor, state from DB only -> Running: median {ms(res['median'])}")
    print(f"  floor (bare start from state file):        median {ms(flo['median'])}")
    print(f"  ratio:                                     {figures['ratio_restore_over_floor']:.2f}")
    print(f"  -> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
