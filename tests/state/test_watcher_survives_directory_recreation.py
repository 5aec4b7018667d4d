"""Deleting and re-creating the state directory does not leave the watcher deaf."""

import hashlib
import shutil

import pytest

from tailscale_sidecar.models import StoredState

from .helpers import make_state, wait_for, write_like_tailscaled

pytestmark = pytest.mark.django_db(transaction=True)

# The periodic check is made slow, so only a re-armed inotify watch can store
# a rename within EVENT_DEADLINE.
RECHECK = 10.0
EVENT_DEADLINE = 4.0


def stored(data: bytes) -> bool:
    return StoredState.objects.filter(sha256=hashlib.sha256(data).hexdigest()).exists()


def rename_and_wait(state_path, serial: int, timeout: float) -> None:
    data = make_state(serial=serial)
    write_like_tailscaled(state_path, data)
    wait_for(lambda: stored(data), timeout=timeout, what=f"version {serial} to be stored")


def test_renames_after_the_directory_is_recreated_are_seen(state_key, state_path, start_watcher):
    start_watcher(state_path, recheck_interval=RECHECK)
    rename_and_wait(state_path, 1, timeout=EVENT_DEADLINE)

    for cycle in range(2):
        shutil.rmtree(state_path.parent)
        state_path.parent.mkdir(mode=0o700)
        # The first write may race the re-arm; the watcher's check catches it then.
        rename_and_wait(state_path, 10 * cycle + 2, timeout=RECHECK + 5)
        for serial in range(10 * cycle + 3, 10 * cycle + 6):
            rename_and_wait(state_path, serial, timeout=EVENT_DEADLINE)


def test_a_directory_created_after_start_is_watched(state_key, state_path, start_watcher):
    shutil.rmtree(state_path.parent)
    start_watcher(state_path, recheck_interval=RECHECK)

    state_path.parent.mkdir(mode=0o700)
    rename_and_wait(state_path, 1, timeout=RECHECK + 5)
    rename_and_wait(state_path, 2, timeout=EVENT_DEADLINE)
