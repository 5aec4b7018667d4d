"""Fixtures for the state store tests."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tailscale_sidecar.state.crypto import generate_key
from tailscale_sidecar.state.watcher import StateDirWatcher


@pytest.fixture
def state_key(settings) -> str:
    """A fresh key, configured as the only TAILSCALE_STATE_KEYS entry."""
    key = generate_key()
    settings.TAILSCALE_STATE_KEYS = [key]
    return key


@pytest.fixture
def state_dir() -> Iterator[Path]:
    """A short directory under /tmp holding a `tailscale/` state directory."""
    root = Path(tempfile.mkdtemp(dir="/tmp", prefix="ts-"))
    directory = root / "tailscale"
    directory.mkdir(mode=0o700)
    try:
        yield directory
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def state_path(state_dir: Path) -> Path:
    return state_dir / "tailscaled.state"


@pytest.fixture
def start_watcher() -> Iterator:
    """Start a StateDirWatcher; every one started is stopped after the test."""
    started: list[StateDirWatcher] = []

    def start(*args, **kwargs) -> StateDirWatcher:
        watcher = StateDirWatcher(*args, **kwargs)
        watcher.start()
        started.append(watcher)
        return watcher

    try:
        yield start
    finally:
        for watcher in started:
            watcher.stop()
