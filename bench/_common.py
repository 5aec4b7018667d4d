"""Shared set-up for the benchmarks: a throw-away database, the simulator, a supervisor.

Each benchmark runs alone (`.venv/bin/python bench/<name>.py`), prints its
figures and writes them to bench/results/<name>.json. Figures are medians and
percentiles of repeated runs, with the baseline measured in the same run,
interleaved, because the machine is small and shared.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tailscale_sidecar.simulator.harness import (  # noqa: E402
    LOCALAPI_HOST,
    FakeControl,
    FakeTailscaled,
    SupervisorProcess,
    fake_tailscaled_path,
    wait_for,
)

__all__ = ["FakeControl", "FakeTailscaled", "fake_tailscaled_path", "wait_for"]


# --- statistics ------------------------------------------------------------


def percentile(values: Iterable[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: every figure is a real sample)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median": statistics.median(values),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "min": min(values),
        "max": max(values),
    }


def write_results(name: str, figures: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    figures = {
        "benchmark": name,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **figures,
    }
    path.write_text(json.dumps(figures, indent=2, default=str) + "\n")
    return path


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


# --- environment -----------------------------------------------------------


def http_ok(url: str) -> bool:
    """True when `url` answers 200 (False while the server is not up yet)."""
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BenchEnv:
    """A private data dir and database, shared by this process and its children."""

    def __init__(self, prefix: str = "ts-bench-") -> None:
        self.root = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
        from cryptography.fernet import Fernet

        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TAILSCALE_", "TRACEARR_", "DJANGO_", "FAKE_TAILSCALED_"))
        }
        self.env.pop("REDIS_URL", None)
        self.env.update(
            {
                "DEBUG": "true",
                "SECRET_KEY": "bench-secret-key-not-for-production",
                "DATABASE_URL": os.environ.get(
                    "BENCH_DATABASE_URL", f"sqlite:///{self.root / 'db.sqlite3'}"
                ),
                "TRACEARR_DATA_DIR": str(self.root / "data"),
                "TAILSCALE_STATE_KEYS": Fernet.generate_key().decode(),
                "DJANGO_SETTINGS_MODULE": "tracearr.settings",
                "PYTHONUNBUFFERED": "1",
            }
        )

    def setup_django(self) -> None:
        """Point this process at the bench database and migrate it."""
        os.environ.update(self.env)
        # The bench's own output is its figures; children keep INFO in their logs.
        os.environ["LOG_LEVEL"] = "WARNING"
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def stop_group(
    proc: subprocess.Popen, timeout: float = 20.0, sig: signal.Signals = signal.SIGTERM
) -> None:
    """Signal the child's process group (SIGTERM unless told), SIGKILL it if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def start_supervisor(env: dict[str, str], log_path: Path) -> SupervisorProcess:
    """This checkout's `manage.py tailscale_supervisor`, its output appended to `log_path`."""
    return SupervisorProcess(env, log_path, cwd=ROOT)


def tailscaled_socket(env: dict[str, str]) -> Path:
    """Where a supervisor started with `env` has tailscaled's LocalAPI (the default run dir)."""
    return Path(env["TRACEARR_DATA_DIR"]) / "run" / "tailscaled.sock"


def newest_tailscaled(supervisor: SupervisorProcess) -> int | None:
    """The pid of the tailscaled the supervisor started last."""
    pids = supervisor.tailscaled_pids()
    return pids[-1] if pids else None


def localapi_status(socket_path: Path | str, timeout: float = 2.0) -> dict | None:
    """GET /localapi/v0/status over the unix socket; None while it does not answer."""
    transport = httpx.HTTPTransport(uds=str(socket_path))
    try:
        with httpx.Client(
            transport=transport, base_url=f"http://{LOCALAPI_HOST}", timeout=timeout
        ) as client:
            response = client.get("/localapi/v0/status?peers=false")
            return response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None


def running_as(socket_path: Path | str, node_id: str) -> Callable[[], bool]:
    def check() -> bool:
        status = localapi_status(socket_path)
        return bool(
            status
            and status["BackendState"] == "Running"
            and (status.get("Self") or {}).get("ID") == node_id
        )

    return check


def join_supervised_node(
    env: BenchEnv, control: FakeControl, **supervisor_env: str
) -> SupervisorProcess:
    """Start a supervisor on the simulator, join with an auth key, wait for Running."""
    from tailscale_sidecar.models import DesiredConfig, ObservedStatus

    child_env = {
        **env.env,
        "TAILSCALED_BIN": fake_tailscaled_path(),
        "TAILSCALE_CONTROL_URL": control.url,
        "TAILSCALE_AUTHKEY": control.create_auth_key(reusable=True),
        **supervisor_env,
    }
    supervisor = start_supervisor(child_env, env.root / "supervisor.log")
    DesiredConfig.update(enabled=True, hostname="bench-node")
    wait_for(
        lambda: ObservedStatus.load().phase == "running",
        timeout=60,
        message=f"the supervised node never ran; see {supervisor.log_path}",
    )
    return supervisor


@dataclass
class SupervisedRun:
    supervisor: SupervisorProcess
    node_id: str
    floor: FakeTailscaled
    floor_id: str


@contextlib.contextmanager
def supervised_node_with_floor(**supervisor_env: str) -> Iterator[SupervisedRun]:
    """A supervised node Running on the simulator, plus a floor node; all stopped after."""
    env = BenchEnv()
    env.setup_django()
    from tailscale_sidecar.models import ObservedStatus

    control = FakeControl(env.root / "control").start()
    supervisor = None
    try:
        supervisor = join_supervised_node(env, control, **supervisor_env)
        floor, floor_id = floor_node(control, env.root)
        yield SupervisedRun(supervisor, ObservedStatus.load().node_id, floor, floor_id)
    finally:
        if supervisor is not None:
            supervisor.cleanup()
        control.stop()
        env.cleanup()


def floor_node(control: FakeControl, root: Path) -> tuple[FakeTailscaled, str]:
    """A second node, joined once and stopped, and its node ID.

    Restarting it from its state file to Running is the floor any restart pays.
    """
    (root / "floor").mkdir(mode=0o700)
    node = FakeTailscaled(root / "floor" / "tailscale", socket_dir=root / "floor")
    node.start()
    transport = httpx.HTTPTransport(uds=str(node.socket_path))
    from tailscale_sidecar.simulator.fake_tailscaled.prefs import default_prefs

    prefs = default_prefs()
    prefs.pop("Config")
    prefs.update(ControlURL=control.url, WantRunning=True, Hostname="bench-floor")
    with httpx.Client(transport=transport, base_url=f"http://{LOCALAPI_HOST}") as client:
        body = {"AuthKey": control.create_auth_key(), "UpdatePrefs": prefs}
        client.post("/localapi/v0/start", json=body).raise_for_status()
        client.post("/localapi/v0/login-interactive").raise_for_status()
    status = wait_for(
        lambda: (s := localapi_status(node.socket_path)) and s["BackendState"] == "Running" and s,
        timeout=30,
    )
    node.stop()
    return node, status["Self"]["ID"]


def time_floor_start(node: FakeTailscaled, node_id: str) -> float:
    """A bare start of fake-tailscaled with its state file, to Running."""
    started = time.monotonic()
    node.start(wait=False)
    try:
        wait_for(running_as(node.socket_path, node_id), timeout=30, interval=0.01)
        return time.monotonic() - started
    finally:
        node.stop()
