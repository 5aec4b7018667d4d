"""Fault injection: crash, hang, corrupt writes, and the slow-start window."""

import json
import threading

import httpx
import pytest

from tailscale_sidecar.simulator.harness import wait_for
from tests.fixtures.simulator import post, running_prefs, status


def test_crash_after_zero_exits_at_start(fake_tailscaled_factory):
    daemon = fake_tailscaled_factory(env={"FAKE_TAILSCALED_CRASH_AFTER": "0"})
    daemon.start(wait=False)
    assert daemon.proc.wait(15) == 1
    assert not daemon.socket_path.exists()


def test_crash_after_n_seconds(fake_tailscaled_factory):
    daemon = fake_tailscaled_factory(env={"FAKE_TAILSCALED_CRASH_AFTER": "1"}).start()
    assert daemon.proc.wait(15) == 1
    assert "simulated crash" in daemon.stderr_text()


def test_hang_keeps_the_process_alive_but_silent(fake_tailscaled_factory):
    daemon = fake_tailscaled_factory(env={"FAKE_TAILSCALED_HANG_AFTER": "0.5"}).start()
    pooled = daemon.client()
    assert pooled.get("/localapi/v0/status").status_code == 200  # keep-alive connection

    def silent() -> bool:
        try:
            daemon.get("/localapi/v0/status", timeout=0.5)
        except httpx.TimeoutException:
            return True
        return False

    wait_for(silent, timeout=10, message="the daemon kept answering")
    with pytest.raises(httpx.TimeoutException):
        pooled.get("/localapi/v0/status", timeout=0.5)
    pooled.close()
    assert daemon.proc.poll() is None


def test_corrupt_writes_break_the_next_start(fake_tailscaled_factory, fake_control):
    env = {"FAKE_TAILSCALED_CORRUPT_STATE_ON_WRITE": "1"}
    daemon = fake_tailscaled_factory(env=env).start()
    post(daemon, "start", {"UpdatePrefs": running_prefs(fake_control.url)})
    with pytest.raises(ValueError):
        json.loads(daemon.state_path.read_bytes())
    daemon.stop()

    again = fake_tailscaled_factory(state_dir=daemon.state_dir).start()
    assert status(again)["BackendState"] == "NoState"


def test_slow_start_blocks_requests_until_ready(fake_tailscaled_factory):
    daemon = fake_tailscaled_factory(env={"TS_DEBUG_BACKEND_DELAY_SEC": "1.5"})
    daemon.start(wait=False)
    wait_for(daemon.socket_path.exists, timeout=15)
    early = daemon.get("/server-status")
    assert (early.status_code, early.text) == (503, '{"error":"backend not ready"}')

    answers: list[httpx.Response] = []
    blocked = threading.Thread(target=lambda: answers.append(daemon.get("/localapi/v0/status")))
    blocked.start()
    blocked.join(0.3)
    assert blocked.is_alive() and daemon.get("/server-status").status_code == 503
    blocked.join(15)
    assert answers[0].status_code == 200
    assert daemon.get("/server-status").text == "{}"
