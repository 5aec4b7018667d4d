"""fake-tailscaled parses tailscaled's flags the way Go's flag package does."""

import shutil
import subprocess
import tempfile
from pathlib import Path

from tailscale_sidecar.simulator.harness import fake_tailscaled_path, wait_for


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [fake_tailscaled_path(), *args], capture_output=True, text=True, timeout=20
    )


def test_it_prints_its_version_and_exits_0():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == "1.102.3-tfake-gsim"


def test_it_rejects_an_unknown_flag_with_gos_error_and_usage():
    result = run("-xyz")
    assert result.returncode == 2
    first, second = result.stderr.splitlines()[:2]
    assert first == "flag provided but not defined: -xyz"
    assert second == "Usage of tailscaled:"
    assert "  -socket string" in result.stderr


def test_it_rejects_a_bad_int_value():
    result = run("--port=abc")
    assert result.returncode == 2
    assert result.stderr.startswith('invalid value "abc" for flag -port: parse error\n')


def test_it_requires_a_socket():
    result = run("--tun=userspace-networking", "--statedir=/tmp/unused-ts", "--socket=")
    assert result.returncode == 1
    assert result.stderr.rstrip().endswith("--socket is required")


def test_it_refuses_a_tun_device_it_cannot_create():
    result = run("--tun=tailscale0", "--socket=/tmp/unused-ts.sock", "--statedir=/tmp/x")
    assert result.returncode == 1
    assert "root" in result.stderr
    assert "--tun=userspace-networking" in result.stderr


def test_it_refuses_non_flag_arguments():
    result = run("--socket=/tmp/x.sock", "extra")
    assert result.returncode == 1
    assert 'tailscaled does not take non-flag arguments: ["extra"]' in result.stderr


def test_it_accepts_every_go_flag_spelling():
    root = Path(tempfile.mkdtemp(prefix="ts-", dir="/tmp"))
    socket_path = root / "s.sock"
    proc = subprocess.Popen(
        [
            fake_tailscaled_path(),
            "-tun",
            "userspace-networking",
            f"--socket={socket_path}",
            "--statedir",
            str(root / "state"),
            "-port=0",
            "--no-logs-no-support",
            "--verbose",
            "1",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        state = root / "state" / "tailscaled.state"
        wait_for(lambda: state.exists() or proc.poll() is not None, timeout=15)
        assert proc.poll() is None, proc.stderr.read()
        assert state.read_text() == "{}"
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
        shutil.rmtree(root)
