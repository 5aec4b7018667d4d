"""`bin/run` on its embedded defaults: a fresh data dir, nothing else set."""

from __future__ import annotations

import shutil
import signal
import stat

import pytest

from .helpers import ROOT, AppRun, base_env, free_port, short_tmp_dir


@pytest.fixture
def bin_run():
    runs: list[AppRun] = []

    def start(*args: str, env: dict[str, str], log_dir) -> AppRun:
        run = AppRun([str(ROOT / "bin" / "run"), *args], env, log_dir)
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.cleanup()


def test_it_serves_on_defaults_and_ctrl_c_leaves_nothing_behind(bin_run):
    data = short_tmp_dir()
    port = free_port()
    # The venv is already current here; reinstalling is not what this tests.
    env = base_env(TRACEARR_DATA_DIR=str(data), PORT=str(port), TRACEARR_SKIP_VENV="true")
    run = bin_run(env=env, log_dir=data)

    seconds = run.wait_healthy(port)
    log = run.log_text()
    assert f"http://127.0.0.1:{port}/" in log
    assert "creates the owner account" in log
    if shutil.which("tailscaled") is None:
        assert "no tailscaled found" in log
    secret = data / "secret_key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len(secret.read_text().strip()) >= 50
    assert (data / "tracearr.sqlite3").exists()
    names = " ".join(run.tree_cmdlines())
    for process in ("gunicorn", "tailscale_supervisor", "celery -A tracearr.celery worker", "beat"):
        assert process in names

    stop_seconds = run.stop(signal.SIGINT)

    assert not run.survivors(), run.survivors()
    print(f"bin/run: healthy after {seconds:.1f} s, stopped in {stop_seconds:.1f} s")
