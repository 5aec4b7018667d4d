"""restore_state_file writes the newest stored version atomically, 0600, in a 0700 dir."""

import stat

import pytest

from tailscale_sidecar.models import StoredState
from tailscale_sidecar.state.crypto import StateKeyError, generate_key
from tailscale_sidecar.state.store import persist_state_file, restore_state_file

from .helpers import make_state, write_like_tailscaled

pytestmark = pytest.mark.django_db


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_it_writes_the_newest_version_with_mode_0600(state_key, state_path):
    write_like_tailscaled(state_path, make_state(serial=1))
    persist_state_file(state_path)
    newest = make_state(serial=2)
    write_like_tailscaled(state_path, newest)
    persist_state_file(state_path)
    state_path.unlink()

    assert restore_state_file(state_path) is True

    assert state_path.read_bytes() == newest
    assert mode(state_path) == 0o600


def test_it_creates_a_missing_directory_with_mode_0700(state_key, state_path):
    write_like_tailscaled(state_path, make_state())
    persist_state_file(state_path)
    target = state_path.parent / "new" / "tailscale" / "tailscaled.state"

    assert restore_state_file(target) is True

    assert mode(target.parent) == 0o700
    assert mode(target) == 0o600


def test_the_database_wins_over_a_stale_file(state_key, state_path):
    stored = make_state(serial=1)
    write_like_tailscaled(state_path, stored)
    persist_state_file(state_path)
    state_path.write_bytes(make_state(serial=2))
    state_path.chmod(0o644)

    assert restore_state_file(state_path) is True

    assert state_path.read_bytes() == stored
    assert mode(state_path) == 0o600


def test_it_leaves_no_temp_file_behind(state_key, state_path):
    write_like_tailscaled(state_path, make_state())
    persist_state_file(state_path)

    restore_state_file(state_path)

    assert [p.name for p in state_path.parent.iterdir()] == [state_path.name]


def test_without_a_stored_version_it_returns_false_and_leaves_the_file(state_key, state_path):
    existing = make_state()
    state_path.write_bytes(existing)

    assert restore_state_file(state_path) is False

    assert state_path.read_bytes() == existing


def test_a_wrong_key_raises_and_touches_neither_file_nor_database(settings, state_key, state_path):
    write_like_tailscaled(state_path, make_state(serial=1))
    persist_state_file(state_path)
    on_disk = make_state(serial=2)
    state_path.write_bytes(on_disk)
    rows_before = list(StoredState.objects.values_list("id", "sha256", "ciphertext"))
    settings.TAILSCALE_STATE_KEYS = [generate_key()]

    with pytest.raises(StateKeyError, match="add the key it was encrypted with"):
        restore_state_file(state_path)

    assert state_path.read_bytes() == on_disk
    assert [p.name for p in state_path.parent.iterdir()] == [state_path.name]
    assert list(StoredState.objects.values_list("id", "sha256", "ciphertext")) == rows_before
