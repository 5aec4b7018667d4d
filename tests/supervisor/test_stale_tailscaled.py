"""A tailscaled left by an earlier supervisor is stopped only after it is verified."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest

from tailscale_sidecar.simulator.harness import fake_tailscaled_path, wait_for
from tailscale_sidecar.supervisor.child import stop_stale_tailscaled
from tests.fixtures.processes import pid_alive


@pytest.fixture
def run_dir():
    return Path(tempfile.mkdtemp(prefix="ts-", dir="/tmp"))


@pytest.fixture
def spawned():
    procs: list[subprocess.Popen] = []

    def spawn(argv: list[str]) -> subprocess.Popen:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)
        return proc

    yield spawn
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)


def write_pidfile(path: Path, pid: int, socket_path: Path, binary: str) -> None:
    record = {
        "pid": pid,
        "create_time": psutil.Process(pid).create_time(),
        "socket": str(socket_path),
        "binary": binary,
    }
    path.write_text(json.dumps(record))


def test_it_stops_a_verified_leftover(run_dir, spawned):
    binary = fake_tailscaled_path()
    sock = run_dir / "tailscaled.sock"
    leftover = spawned(
        [
            binary,
            "--tun=userspace-networking",
            f"--statedir={run_dir / 'state'}",
            f"--socket={sock}",
            "--port=0",
        ]
    )
    wait_for(sock.exists, timeout=20)
    pidfile = run_dir / "tailscaled.pid"
    write_pidfile(pidfile, leftover.pid, sock, binary)

    assert stop_stale_tailscaled(pidfile, binary) is True
    assert leftover.wait(5) is not None
    assert not pidfile.exists()


def test_it_leaves_an_unrelated_process_alone(run_dir, spawned):
    binary = fake_tailscaled_path()
    sock = run_dir / "tailscaled.sock"
    # Same pid and start time, but not our binary: e.g. the pid was reused.
    other = spawned([sys.executable, "-c", "import time; time.sleep(60)", f"--socket={sock}"])
    pidfile = run_dir / "tailscaled.pid"
    write_pidfile(pidfile, other.pid, sock, binary)

    assert stop_stale_tailscaled(pidfile, binary) is False
    assert pid_alive(other.pid)
    assert not pidfile.exists()


def test_it_ignores_a_pidfile_whose_process_is_gone(run_dir, spawned):
    binary = fake_tailscaled_path()
    gone = spawned(["true"])
    pid = gone.pid
    pidfile = run_dir / "tailscaled.pid"
    write_pidfile(pidfile, pid, run_dir / "tailscaled.sock", binary)
    gone.wait(5)

    assert stop_stale_tailscaled(pidfile, binary) is False
    assert not pidfile.exists()
