"""Helpers for the shipping tests: start the app's start-up scripts as a user
would, watch their whole process tree, and stop them by process group."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
# A shared 2-core machine: start-up includes migrations and several interpreters.
START_TIMEOUT = 45.0
STOP_TIMEOUT = 15.0

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float, interval: float = 0.2) -> T:
    """Poll until `predicate()` is truthy and return it; AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout:g} s")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def short_tmp_dir(prefix: str = "ts-ship-") -> Path:
    """A temp dir with a short path (unix sockets live under it)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


def base_env(**overrides: str) -> dict[str, str]:
    """This environment minus the app's own variables, with the venv first on PATH."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TAILSCALE_", "TRACEARR_", "PYTEST_", "DJANGO_", "WEB_"))
        and key
        not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SECRET_KEY_FILE", "DEBUG", "PORT"}
    }
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


def http_status(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.TransportError:
        return None


class AppRun:
    """A start-up script (bin/run or the entrypoint) running in its own session."""

    def __init__(
        self, argv: list[str], env: dict[str, str], log_dir: Path, cwd: Path = ROOT
    ) -> None:
        self.log_path = log_dir / "run.log"
        # Every process seen in the tree, as (pid, create_time) so a reused PID
        # is not mistaken for a survivor.
        self.seen: set[tuple[int, float]] = set()
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def record_tree(self) -> list[psutil.Process]:
        """Remember every process now descending from the script; return them."""
        try:
            root = psutil.Process(self.proc.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        for proc in procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                self.seen.add((proc.pid, proc.create_time()))
        return procs

    def tree_cmdlines(self) -> list[str]:
        lines = []
        for proc in self.record_tree():
            with contextlib.suppress(psutil.NoSuchProcess):
                lines.append(" ".join(proc.cmdline()))
        return lines

    def survivors(self) -> list[str]:
        """Recorded processes that still exist (zombies count: nobody reaped them)."""
        alive = []
        for pid, created in self.seen:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc = psutil.Process(pid)
                if proc.create_time() == created:
                    alive.append(f"{pid} {proc.status()} {' '.join(proc.cmdline())}")
        return alive

    def wait_healthy(self, port: int, timeout: float = START_TIMEOUT) -> float:
        """Seconds until GET /api/v1/health answers 200."""
        started = time.monotonic()
        url = f"http://127.0.0.1:{port}/api/v1/health"
        try:
            wait_for(lambda: self.proc.poll() is None and http_status(url) == 200, timeout)
        except AssertionError as exc:
            raise AssertionError(
                f"{url} did not answer 200 (exit code {self.proc.poll()})\n{self.log_text()[-4000:]}"
            ) from exc
        return time.monotonic() - started

    def stop(self, sig: signal.Signals, timeout: float = STOP_TIMEOUT) -> float:
        """Send `sig` to the script's process group; seconds until it exited."""
        self.record_tree()
        started = time.monotonic()
        os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(
                f"still running {timeout:g} s after {sig.name}\n{self.log_text()[-4000:]}"
            ) from exc
        return time.monotonic() - started

    def cleanup(self) -> None:
        """Kill whatever is left, by the PIDs recorded (never by name)."""
        self.record_tree()
        for pid, created in self.seen:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc = psutil.Process(pid)
                if proc.create_time() == created:
                    proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)


def sqlite_rows(db_path: Path, query: str, params: tuple = ()) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(db_path, timeout=20)) as conn:
        return conn.execute(query, params).fetchall()


def enable_tailscale(db_path: Path) -> None:
    """Turn the node on the way the web does: desired enabled, generation bumped."""
    with contextlib.closing(sqlite3.connect(db_path, timeout=20)) as conn, conn:
        conn.execute(
            "UPDATE tailscale_sidecar_desiredconfig SET enabled = 1, generation = generation + 1"
            " WHERE id = 1"
        )
        if conn.execute("SELECT changes()").fetchone()[0] == 0:
            conn.execute(
                "INSERT INTO tailscale_sidecar_desiredconfig (id, enabled, hostname, control_url,"
                " advertise_tags, auth_key_encrypted, outbound_proxy, generation,"
                " reset_generation, retry_generation, instance_id, trusted_logins, exit_node,"
                " exit_node_allow_lan, updated_at)"
                " VALUES (1, 1, '', '', '[]', '', 0, 1, 0, 0, 'shiptest', '[]', '', 0,"
                " datetime('now'))"
            )


def observed(db_path: Path) -> dict[str, str]:
    rows = sqlite_rows(
        db_path,
        "SELECT phase, auth_url, last_error, dns_name FROM tailscale_sidecar_observedstatus "
        "WHERE id = 1",
    )
    if not rows:
        return {}
    phase, auth_url, last_error, dns_name = rows[0]
    return {"phase": phase, "auth_url": auth_url, "last_error": last_error, "dns_name": dns_name}


def manage(*args: str, database_url: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run `manage.py <args>` in a child process against `database_url`."""
    env = base_env(
        DEBUG="true",
        SECRET_KEY="ship-test-secret-key",
        TRACEARR_DATA_DIR=str(short_tmp_dir()),
        DATABASE_URL=database_url,
    )
    return subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_manage(*args: str, database_url: str) -> subprocess.Popen:
    env = base_env(
        DEBUG="true",
        SECRET_KEY="ship-test-secret-key",
        TRACEARR_DATA_DIR=str(short_tmp_dir()),
        DATABASE_URL=database_url,
    )
    return subprocess.Popen(
        [str(VENV_BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
