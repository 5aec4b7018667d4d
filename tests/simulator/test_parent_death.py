"""TS_PARENT_DEATH_FD: the daemon exits 1 when its supervisor's pipe closes."""

import os
import subprocess

from tailscale_sidecar.simulator.harness import wait_for


def test_it_exits_when_the_parent_pipe_closes(fake_tailscaled_factory):
    read_end, write_end = os.pipe()
    try:
        daemon = fake_tailscaled_factory(env={"TS_PARENT_DEATH_FD": str(read_end)}).start()
    finally:
        os.close(read_end)
    assert daemon.proc.poll() is None
    os.close(write_end)
    wait_for(lambda: daemon.proc.poll() is not None, timeout=10, message="daemon kept running")
    assert daemon.proc.returncode == 1


def test_it_exits_even_when_its_stderr_reader_died_too(fake_tailscaled_factory):
    """A killed supervisor also closes the pipe that read tailscaled's output."""
    daemon = fake_tailscaled_factory()
    read_end, write_end = os.pipe()
    env = {**os.environ, "TS_PARENT_DEATH_FD": str(read_end)}
    proc = subprocess.Popen(
        daemon.args(), env=env, pass_fds=(read_end,), stderr=subprocess.PIPE, text=True
    )
    os.close(read_end)
    try:
        wait_for(daemon.socket_path.exists, timeout=15)
        proc.stderr.close()
        os.close(write_end)
        assert proc.wait(10) == 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
