import socket

import pytest

from tailscale_sidecar.localapi import DaemonUnreachable, LocalAPIClient


def test_it_raises_daemon_unreachable_when_the_socket_is_missing(state_dir):
    missing = state_dir / "tailscaled.sock"
    with LocalAPIClient(missing, timeout=5.0) as client:
        with pytest.raises(DaemonUnreachable):
            client.status()
        with pytest.raises(DaemonUnreachable):
            client.server_status()


def test_it_raises_daemon_unreachable_on_a_stale_socket_file(state_dir):
    path = state_dir / "tailscaled.sock"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()  # the file stays behind, like after a SIGKILL
    with LocalAPIClient(path, timeout=5.0) as client, pytest.raises(DaemonUnreachable):
        client.status()


def test_it_raises_daemon_unreachable_after_the_daemon_stopped(daemon, client):
    assert client.server_status() is True
    daemon.stop()

    with pytest.raises(DaemonUnreachable):
        client.status()
