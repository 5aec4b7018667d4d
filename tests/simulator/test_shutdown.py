"""SIGTERM exits 0 and removes the socket; stale and busy sockets at start."""

import signal

from tailscale_sidecar.simulator.harness import FakeTailscaled


def test_sigterm_exits_0_and_removes_the_socket(fake_tailscaled_factory):
    daemon = fake_tailscaled_factory().start()
    assert daemon.socket_path.exists()
    assert daemon.stop() == 0
    assert not daemon.socket_path.exists()
    assert "tailscaled got signal terminated; shutting down" in daemon.stderr_text()


def test_sigint_is_a_clean_shutdown_too(fake_tailscaled_factory):
    daemon = fake_tailscaled_factory().start()
    daemon.proc.send_signal(signal.SIGINT)
    assert daemon.proc.wait(10) == 0
    assert "tailscaled got signal interrupt; shutting down" in daemon.stderr_text()


def test_a_stale_socket_from_a_killed_daemon_is_replaced(fake_tailscaled_factory):
    first = fake_tailscaled_factory().start()
    first.kill()
    assert first.socket_path.exists()  # SIGKILL leaves it behind
    second = fake_tailscaled_factory(first.state_dir, socket_dir=first.socket_dir).start()
    assert second.get("/server-status").status_code == 200


def test_a_second_daemon_on_a_live_socket_exits(fake_tailscaled_factory):
    first = fake_tailscaled_factory().start()
    second: FakeTailscaled = fake_tailscaled_factory(socket_dir=first.socket_dir)
    second.stderr_path = first.socket_dir / "second.log"
    second.start(wait=False)
    assert second.proc.wait(15) == 1
    assert f"{first.socket_path}: address already in use" in second.stderr_text()
    assert first.get("/server-status").status_code == 200


def test_tailscaled_style_log_lines(fake_tailscaled_factory):
    daemon = fake_tailscaled_factory().start()
    daemon.stop()
    first_line = daemon.stderr_text().splitlines()[0]
    date, time_of_day, message = first_line.split(" ", 2)
    assert len(date) == 10 and date[4] == date[7] == "/"
    assert len(time_of_day) == 8 and message == "logtail started"
    assert (daemon.logs_dir / "tailscaled.log.conf").exists()
