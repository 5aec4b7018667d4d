"""deploy/entrypoint.sh, run outside Docker exactly as the image runs it.

It gets a fresh data dir and its own SQLite database (not the test database:
the point is that the entrypoint migrates an empty one), the simulated
tailscaled, and an owner to create.
"""

from __future__ import annotations

import signal

import pytest

from .helpers import (
    ROOT,
    VENV_BIN,
    AppRun,
    base_env,
    enable_tailscale,
    free_port,
    short_tmp_dir,
    sqlite_rows,
    wait_for,
)


@pytest.fixture
def entrypoint_run():
    runs: list[AppRun] = []

    def start(env: dict[str, str], log_dir) -> AppRun:
        run = AppRun([str(ROOT / "deploy" / "entrypoint.sh")], env, log_dir)
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.cleanup()


def test_it_migrates_creates_the_owner_serves_and_stops_cleanly(entrypoint_run):
    data = short_tmp_dir()
    db = data / "app.sqlite3"
    port = free_port()
    env = base_env(
        APP_ROOT=str(ROOT),
        TRACEARR_DATA_DIR=str(data),
        DATABASE_URL=f"sqlite:///{db}",
        SECRET_KEY="entrypoint-test-secret-key",
        DEBUG="false",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        TAILSCALED_BIN=str(VENV_BIN / "fake-tailscaled"),
        TAILSCALE_POLL_INTERVAL="0.5",
        DJANGO_SUPERUSER_USERNAME="owner",
        DJANGO_SUPERUSER_PASSWORD="a-long-owner-password",
    )
    run = entrypoint_run(env, data)

    run.wait_healthy(port)
    assert sqlite_rows(db, "SELECT COUNT(*) FROM django_migrations")[0][0] > 0
    assert sqlite_rows(db, "SELECT is_superuser FROM auth_user WHERE username = 'owner'") == [(1,)]
    assert "a-long-owner-password" not in run.log_text()

    # With the node enabled the supervisor runs tailscaled: it must go too.
    enable_tailscale(db)
    wait_for(lambda: any("fake-tailscaled" in c for c in run.tree_cmdlines()), timeout=20)
    names = " ".join(run.tree_cmdlines())
    for process in ("gunicorn", "tailscale_supervisor", "-m tracearr.worker"):
        assert process in names

    seconds = run.stop(signal.SIGTERM, timeout=10)

    assert run.proc.returncode is not None
    assert wait_for(lambda: not run.survivors(), timeout=5), run.survivors()
    print(f"entrypoint stopped {len(run.seen)} processes in {seconds:.1f} s")
