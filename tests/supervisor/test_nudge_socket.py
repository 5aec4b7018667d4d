"""Nudges through the run dir's unix socket: no Redis needed, never slow, bound safely."""

import socket
import stat
import tempfile
import threading
import time
from pathlib import Path

from tailscale_sidecar.nudge import NudgeListener, nudge_supervisor, socket_path


def short_run_dir(settings) -> Path:
    run_dir = Path(tempfile.mkdtemp(prefix="ts-nudge-", dir="/tmp")) / "run"
    settings.TAILSCALE_RUN_DIR = run_dir
    settings.REDIS_URL = ""
    return run_dir


def test_a_datagram_wakes_the_bound_listener(settings):
    short_run_dir(settings)
    event = threading.Event()
    listener = NudgeListener(event)
    listener.bind()
    try:
        # It sets the event once bound (a nudge sent before that was lost).
        assert event.wait(5)
        event.clear()
        started = time.monotonic()
        nudge_supervisor()
        assert event.wait(5)
        assert time.monotonic() - started < 0.05
    finally:
        listener.stop()
    assert not socket_path().exists()


def test_the_socket_lives_in_a_private_run_dir(settings):
    run_dir = short_run_dir(settings)
    listener = NudgeListener(threading.Event())
    listener.bind()
    try:
        assert socket_path() == run_dir / "supervisor-nudge.sock"
        assert socket_path().is_socket()
        assert stat.S_IMODE(run_dir.stat().st_mode) == 0o700
    finally:
        listener.stop()


def test_a_stale_socket_is_replaced(settings):
    short_run_dir(settings)
    socket_path().parent.mkdir(parents=True)
    # A dead supervisor's socket: the path exists, nobody reads it.
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    stale.bind(str(socket_path()))
    stale.close()
    event = threading.Event()
    listener = NudgeListener(event)
    listener.bind()
    try:
        assert event.wait(5)
        event.clear()
        nudge_supervisor()
        assert event.wait(5)
    finally:
        listener.stop()


def test_a_nudge_with_no_supervisor_is_silent_and_quick(settings):
    short_run_dir(settings)
    started = time.monotonic()
    nudge_supervisor()  # ENOENT: no socket at all
    socket_path().parent.mkdir(parents=True)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    stale.bind(str(socket_path()))
    stale.close()
    nudge_supervisor()  # ECONNREFUSED: a socket nobody reads
    assert time.monotonic() - started < 0.05


def test_a_full_queue_never_blocks_the_sender(settings):
    short_run_dir(settings)
    socket_path().parent.mkdir(parents=True)
    # Bound but never read: the queue fills up, and the sender must not wait.
    reader = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    reader.bind(str(socket_path()))
    try:
        started = time.monotonic()
        for _ in range(2000):
            nudge_supervisor()
        assert time.monotonic() - started < 2.0
    finally:
        reader.close()


def test_a_long_run_dir_gets_a_fixed_short_path(settings):
    settings.TAILSCALE_RUN_DIR = Path("/tmp") / ("x" * 120) / "run"
    first = socket_path()
    assert len(str(first)) <= 100
    assert first == socket_path()
    settings.TAILSCALE_RUN_DIR = Path("/tmp") / ("y" * 120) / "run"
    assert socket_path() != first
