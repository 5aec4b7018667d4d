"""Memory, CPU and database writes of the whole app, idle, with the node running.

Runs `bin/run --demo` (the process tree a user gets: the Procfile runner, gunicorn, the
supervisor, the Celery worker, the simulated control and tailscaled) on a
throw-away data dir, joins the tailnet through the page as the owner would,
lets it settle, then for --seconds samples every process of the tree once a
second:

- PSS (proportional set size: shared pages split between the processes that
  map them) from /proc/<pid>/smaps_rollup, summed over the tree; RSS beside it;
- CPU time over wall time, per process and for the tree;
- database writes: commit frames appended to the SQLite WAL, read from the
  file 20 times a second (counted at the database, whoever wrote them).

    .venv/bin/python bench/footprint.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import statistics
import struct
import subprocess
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx
import psutil
from _common import ROOT, free_port, http_ok, stop_group, wait_for, write_results

TARGET_PSS_MB = 200
TARGET_WRITES_PER_MIN = 6
TARGET_SUPERVISOR_RSS_MB = 80
TARGET_SUPERVISOR_CPU_PCT = 1.0
SETTLE_SECONDS = 15
OWNER, PASSWORD = "owner", "footprint-bench-password"
MB = 1024 * 1024


# --- the process tree -----------------------------------------------------


def tree(root_pid: int) -> list[psutil.Process]:
    root = psutil.Process(root_pid)
    return [root, *root.children(recursive=True)]


def pss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    return 0


def label(proc: psutil.Process) -> str:
    """A short name a reader recognises: 'gunicorn master', 'celery worker', ..."""
    words = [os.path.basename(word) for word in proc.cmdline()]
    text = " ".join(words)
    for needle, name in (
        ("tailscale_supervisor", "supervisor"),
        ("fake-tailscale-control", "fake control"),
        ("fake-tailscaled", "fake tailscaled"),
        ("tracearr.worker", "celery worker"),
        ("celery", "celery worker"),
        ("tracearr.procfile", "procfile runner"),
    ):
        if needle in text:
            return name
    if "gunicorn" in text:
        parent = proc.parent()
        is_worker = parent is not None and "gunicorn" in " ".join(parent.cmdline())
        return "gunicorn worker" if is_worker else "gunicorn master"
    return words[0] if words else proc.name()


# --- database writes --------------------------------------------------------

WAL_HEADER = struct.Struct(">IIIIII")  # magic, version, page size, checkpoint, salt1, salt2
FRAME_HEADER = struct.Struct(">IIII")  # page, db size after commit (0: not a commit), salts


def commit_frames(wal: Path) -> set[tuple[int, int, int]]:
    """The commit frames in the WAL now, as (salt1, salt2, frame index).

    A checkpoint that restarts the log writes a new header with new salts;
    frames left over from the previous generation keep the old salts and no
    longer count, so each commit is seen once, in the generation it belongs to.
    """
    try:
        data = wal.read_bytes()
    except FileNotFoundError:
        return set()
    if len(data) < 32:
        return set()
    _, _, page_size, _, salt1, salt2 = WAL_HEADER.unpack_from(data, 0)
    frame_size = 24 + page_size
    found = set()
    for index, offset in enumerate(range(32, len(data) - frame_size + 1, frame_size)):
        _, committed_size, frame_salt1, frame_salt2 = FRAME_HEADER.unpack_from(data, offset)
        if (frame_salt1, frame_salt2) != (salt1, salt2):
            break
        if committed_size:
            found.add((salt1, salt2, index))
    return found


class WriteCounter(threading.Thread):
    """Counts commits to one SQLite database by watching its WAL file."""

    def __init__(self, database: Path, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.wal = database.with_name(database.name + "-wal")
        self.interval = interval
        self.seen: set[tuple[int, int, int]] = set()
        self.counting = False
        self.commits = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            new = commit_frames(self.wal) - self.seen
            self.seen |= new
            if self.counting:
                self.commits += len(new)

    def start_counting(self) -> None:
        self.counting = True

    def stop(self) -> int:
        self.stopped.set()
        self.join()
        return self.commits


# --- joining the tailnet as the owner does ----------------------------------


def csrf_post(client: httpx.Client, path: str, **fields: str) -> httpx.Response:
    fields["csrfmiddlewaretoken"] = client.cookies["csrftoken"]
    response = client.post(path, data=fields)
    response.raise_for_status()
    return response


def join_through_the_page(base: str) -> None:
    with httpx.Client(base_url=base, timeout=15, follow_redirects=True) as client:
        client.get("/login/").raise_for_status()
        csrf_post(client, "/login/", username=OWNER, password=PASSWORD)
        page = client.get("/settings/tailscale/").text
        hostname = re.search(r'name="hostname"[^>]*value="([^"]*)"', page)
        csrf_post(client, "/settings/tailscale/enable/", hostname=hostname.group(1))
        auth_url = wait_for(lambda: client.get("/api/v1/tailscale").json()["auth_url"], 60)
        consent = httpx.get(auth_url, timeout=15)
        action = re.search(r'<form method="post" action="([^"]+)"', consent.text).group(1)
        httpx.post(httpx.URL(auth_url).join(action), timeout=15).raise_for_status()
        wait_for(lambda: client.get("/api/v1/tailscale").json()["phase"] == "running", 60)


def users_environment(**settings: str) -> dict[str, str]:
    dropped = ("TAILSCALE_", "TRACEARR_", "DJANGO_", "WEB_", "DATABASE_URL", "REDIS_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.pop("DEBUG", None)
    env.update(settings)
    return env


# --- the run ------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="fp-", dir="/tmp"))
    port = free_port()
    env = users_environment(
        PORT=str(port),
        TRACEARR_DATA_DIR=str(data_dir),
        WEB_ACCESS_LOG="false",
        DJANGO_SUPERUSER_USERNAME=OWNER,
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
    )
    log = open(data_dir / "run.log", "wb")  # noqa: SIM115 (closed below)
    app = subprocess.Popen(
        ["bin/run", "--demo"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    counter = WriteCounter(data_dir / "tracearr.sqlite3")
    pss = defaultdict(list)
    rss = defaultdict(list)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: http_ok(f"{base}/api/v1/health"), timeout=240)
        join_through_the_page(base)
        counter.start()
        time.sleep(SETTLE_SECONDS)  # start-up is not idle: let its writes finish

        procs = tree(app.pid)
        names = {proc.pid: f"{label(proc)} ({proc.pid})" for proc in procs}
        cpu0 = {proc.pid: sum(proc.cpu_times()[:2]) for proc in procs}
        t0 = time.monotonic()
        counter.start_counting()
        for _ in range(args.seconds):
            time.sleep(1)
            for proc in procs:
                with contextlib.suppress(psutil.NoSuchProcess, FileNotFoundError):
                    pss[proc.pid].append(pss_bytes(proc.pid))
                    rss[proc.pid].append(proc.memory_info().rss)
        wall = time.monotonic() - t0
        commits = counter.stop()
        cpu = {}
        for proc in procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                cpu[proc.pid] = (sum(proc.cpu_times()[:2]) - cpu0[proc.pid]) / wall * 100
    finally:
        stop_group(app, timeout=30, sig=signal.SIGINT)  # Ctrl-C, as a user stops it
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)

    per_process = {
        names[pid]: {
            "pss_mb": statistics.median(pss[pid]) / MB,
            "rss_mb": statistics.median(rss[pid]) / MB,
            "cpu_pct": cpu.get(pid, 0.0),
        }
        for pid in names
        if pss[pid]
    }
    total_pss = sum(p["pss_mb"] for p in per_process.values())
    total_rss = sum(p["rss_mb"] for p in per_process.values())
    writes_per_min = commits / wall * 60
    supervisor = next(v for k, v in per_process.items() if k.startswith("supervisor"))
    figures = {
        "seconds": args.seconds,
        "processes": len(per_process),
        "per_process": per_process,
        "tree_pss_mb": total_pss,
        "tree_rss_mb": total_rss,
        "tree_cpu_pct": sum(p["cpu_pct"] for p in per_process.values()),
        "db_commits": commits,
        "db_writes_per_min": writes_per_min,
        "supervisor_rss_mb": supervisor["rss_mb"],
        "supervisor_cpu_pct": supervisor["cpu_pct"],
        "target_tree_pss_mb": TARGET_PSS_MB,
        "target_db_writes_per_min": TARGET_WRITES_PER_MIN,
        "meets_target": total_pss <= TARGET_PSS_MB
        and writes_per_min <= TARGET_WRITES_PER_MIN
        and supervisor["rss_mb"] < TARGET_SUPERVISOR_RSS_MB
        and supervisor["cpu_pct"] < TARGET_SUPERVISOR_CPU_PCT,
    }
    path = write_results("footprint", figures)
    print(f"idle footprint of `bin/run --demo` over {wall:.0f} s, node running")
    print(f"  {'process':32} {'PSS MB':>7} {'RSS MB':>7} {'CPU %':>6}")
    for name, p in sorted(per_process.items(), key=lambda item: -item[1]["pss_mb"]):
        print(f"  {name:32} {p['pss_mb']:7.1f} {p['rss_mb']:7.1f} {p['cpu_pct']:6.2f}")
    print(
        f"  whole tree, {len(per_process)} processes: PSS {total_pss:.1f} MB "
        f"(target <= {TARGET_PSS_MB}), RSS {total_rss:.1f} MB, "
        f"CPU {figures['tree_cpu_pct']:.2f} %"
    )
    print(
        f"  database writes: {commits} commits, {writes_per_min:.1f} per minute "
        f"(target <= {TARGET_WRITES_PER_MIN})"
    )
    print(
        f"  supervisor: RSS {supervisor['rss_mb']:.1f} MB (< {TARGET_SUPERVISOR_RSS_MB}), "
        f"CPU {supervisor['cpu_pct']:.2f} % (< {TARGET_SUPERVISOR_CPU_PCT})"
    )
    print(f"  targets {'met' if figures['meets_target'] else 'MISSED'} -> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
