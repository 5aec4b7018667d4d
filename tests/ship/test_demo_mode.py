"""`bin/run --demo`: the whole flow against the simulated control server."""

from __future__ import annotations

import signal

import httpx
import pytest

from .helpers import (
    ROOT,
    AppRun,
    base_env,
    enable_tailscale,
    free_port,
    observed,
    short_tmp_dir,
    wait_for,
)


@pytest.fixture
def demo_run():
    runs: list[AppRun] = []

    def start(env: dict[str, str], log_dir) -> AppRun:
        run = AppRun([str(ROOT / "bin" / "run"), "--demo"], env, log_dir)
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.cleanup()


def test_demo_mode_goes_from_enable_through_consent_to_running(demo_run):
    data = short_tmp_dir()
    port, control_port = free_port(), free_port()
    env = base_env(
        TRACEARR_DATA_DIR=str(data),
        PORT=str(port),
        TRACEARR_DEMO_CONTROL_PORT=str(control_port),
        TRACEARR_SKIP_VENV="true",
        TAILSCALE_POLL_INTERVAL="0.5",
    )
    run = demo_run(env, data)
    run.wait_healthy(port)
    assert "fake-tailscale-control" in " ".join(run.tree_cmdlines())

    enable_tailscale(data / "tracearr.sqlite3")

    control_url = f"http://127.0.0.1:{control_port}/"
    try:
        status = wait_for(
            lambda: (
                (s := observed(data / "tracearr.sqlite3")).get("phase") == "needs_login"
                and s["auth_url"]
                and s
            ),
            timeout=30,
        )
    except AssertionError as exc:
        raise AssertionError(
            f"{observed(data / 'tracearr.sqlite3')}\n{run.log_text()[-4000:]}"
        ) from exc
    assert status["auth_url"].startswith(control_url)
    assert "fake-tailscaled" in " ".join(run.tree_cmdlines())

    # What the consent page's Connect button does.
    httpx.post(status["auth_url"], timeout=10).raise_for_status()
    running = wait_for(
        lambda: (s := observed(data / "tracearr.sqlite3")).get("phase") == "running" and s,
        timeout=30,
    )
    assert running["dns_name"].endswith(".ts.net")

    run.stop(signal.SIGINT)

    assert not run.survivors(), run.survivors()
