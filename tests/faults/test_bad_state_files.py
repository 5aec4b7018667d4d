"""Corrupt, empty, truncated and wrongly-permissioned state files, before start and while running.

The database's last good version is never replaced by a bad file, and a node
started over a bad file comes back from that version.
"""

from __future__ import annotations

import os
import signal
import stat

import pytest
from django.utils import timezone

from tailscale_sidecar.models import StoredState
from tailscale_sidecar.simulator.harness import wait_for
from tests.faults.helpers import newest_stored_state, wait_respawned, wait_running_as
from tests.supervisor.helpers import (
    TIMEOUT,
    data_dir,
    join_with_key,
    tailscaled_pid,
    wait_running_after,
)

BAD_CONTENTS = {
    "corrupt": b"\x00garbage{not json",
    "empty": b"",
    "truncated": None,  # the first half of the real file
}


def state_file(supervisor) -> os.PathLike:
    return data_dir(supervisor) / "tailscale" / "tailscaled.state"


def spoil(path, kind: str) -> None:
    content = BAD_CONTENTS[kind]
    if content is None:
        whole = path.read_bytes()
        content = whole[: len(whole) // 2]
    path.write_bytes(content)


@pytest.mark.parametrize("kind", sorted(BAD_CONTENTS))
@pytest.mark.django_db(transaction=True)
def test_a_bad_file_before_start_is_replaced_by_the_stored_version(start_supervisor, kind):
    first = start_supervisor()
    node_id = join_with_key(first).node_id
    first.stop()
    good = StoredState.latest_version().sha256
    spoil(state_file(first), kind)

    since = timezone.now()
    second = start_supervisor(first.env)
    assert wait_running_after(since, second).node_id == node_id
    assert StoredState.latest_version().sha256 == good
    newest_stored_state()


@pytest.mark.parametrize("kind", sorted(BAD_CONTENTS))
@pytest.mark.django_db(transaction=True)
def test_a_file_spoiled_while_running_is_not_stored(start_supervisor, kind):
    supervisor = start_supervisor()
    node_id = join_with_key(supervisor).node_id
    good = StoredState.latest_version().sha256
    path = state_file(supervisor)
    spoil(path, kind)
    # The watcher sees the change and refuses it, saying why in the log.
    wait_for(lambda: "not storing the Tailscale state file" in supervisor.log_text(), TIMEOUT)
    assert StoredState.latest_version().sha256 == good

    victim = tailscaled_pid(supervisor)
    os.kill(victim, signal.SIGKILL)
    wait_respawned(victim, supervisor)
    wait_running_as(node_id, supervisor)
    assert StoredState.latest_version().sha256 == good


@pytest.mark.django_db(transaction=True)
def test_a_world_readable_file_is_restored_private(start_supervisor):
    first = start_supervisor()
    node_id = join_with_key(first).node_id
    first.stop()
    path = state_file(first)
    path.chmod(0o644)
    path.parent.chmod(0o755)

    since = timezone.now()
    second = start_supervisor(first.env)
    assert wait_running_after(since, second).node_id == node_id
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.django_db(transaction=True)
def test_a_state_dir_deleted_while_running_comes_back_from_the_db(start_supervisor):
    supervisor = start_supervisor()
    node_id = join_with_key(supervisor).node_id
    good = StoredState.latest_version().sha256
    path = state_file(supervisor)
    for child in path.parent.iterdir():
        child.unlink()
    path.parent.rmdir()

    victim = tailscaled_pid(supervisor)
    os.kill(victim, signal.SIGKILL)
    wait_respawned(victim, supervisor)
    wait_running_as(node_id, supervisor)
    assert path.exists()
    assert StoredState.latest_version().sha256 == good


@pytest.mark.django_db(transaction=True)
def test_failed_state_writes_keep_the_last_good_version(start_supervisor):
    """Every write garbled (a full disk or a dying device): the DB keeps the last good one."""
    first = start_supervisor()
    node_id = join_with_key(first).node_id
    first.stop()
    good = StoredState.latest_version().sha256

    since = timezone.now()
    second = start_supervisor(first.env, FAKE_TAILSCALED_CORRUPT_STATE_ON_WRITE="1")
    assert wait_running_after(since, second).node_id == node_id
    from tailscale_sidecar.models import DesiredConfig

    DesiredConfig.update(hostname="after-disk-full")  # makes tailscaled write its state
    wait_for(lambda: "not storing the Tailscale state file" in second.log_text(), TIMEOUT)
    assert StoredState.latest_version().sha256 == good
    newest_stored_state()
