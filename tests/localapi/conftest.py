"""Fixtures for the LocalAPI client tests: a fake tailscaled, a client, a bus recorder."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tailscale_sidecar.localapi import LocalAPIClient
from tests.localapi.bus_recorder import BusRecorder


@pytest.fixture
def state_dir() -> Iterator[Path]:
    """A short directory under /tmp (unix socket paths must stay short)."""
    path = Path(tempfile.mkdtemp(dir="/tmp", prefix="ts-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def daemon(fake_tailscaled_factory, state_dir):
    """A running fake tailscaled with a fresh state directory."""
    node = fake_tailscaled_factory(state_dir)
    node.start()
    return node


@pytest.fixture
def client(daemon) -> Iterator[LocalAPIClient]:
    with LocalAPIClient(daemon.socket_path, timeout=10.0) as api:
        yield api


@pytest.fixture
def bus(client) -> Iterator[BusRecorder]:
    """The IPN bus (mask 0), opened before the test acts so nothing is missed."""
    with BusRecorder(client) as recorder:
        yield recorder
