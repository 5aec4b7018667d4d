"""What the entrypoint says and does before anything is served."""

from __future__ import annotations

import subprocess
import time

import pytest

from .helpers import ROOT, base_env, free_port, short_tmp_dir


def run_until_db_gives_up(bind: str | None) -> tuple[subprocess.CompletedProcess, float]:
    """Start the entrypoint against a database that never answers."""
    env = base_env(
        APP_ROOT=str(ROOT),
        TRACEARR_DATA_DIR=str(short_tmp_dir()),
        DATABASE_URL=f"postgres://nobody@127.0.0.1:{free_port()}/nothing",
        DB_WAIT_TIMEOUT="1",
        SECRET_KEY="preflight-test-secret-key",
    )
    if bind is not None:
        env["TRACEARR_BIND"] = bind
    started = time.monotonic()
    result = subprocess.run(
        [str(ROOT / "deploy" / "entrypoint.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result, time.monotonic() - started


@pytest.mark.parametrize("bind", ["0.0.0.0", "::"])
def test_it_warns_when_binding_every_interface(bind):
    result, _ = run_until_db_gives_up(bind)
    assert "WARNING: the web server listens on every interface" in result.stderr


def test_it_does_not_warn_on_loopback_and_stops_when_the_database_never_answers():
    result, seconds = run_until_db_gives_up(None)
    assert "WARNING" not in result.stderr
    assert result.returncode != 0
    assert "did not answer within 1 s" in result.stderr
    assert seconds < 20
