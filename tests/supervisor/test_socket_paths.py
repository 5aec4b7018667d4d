"""A run dir too long for a unix socket: tailscaled's socket moves to a short directory
that every process works out for itself, so the web can ask tailscaled read-only
questions (whois) without being told where the supervisor put it."""

import os
import secrets
import shutil
from pathlib import Path

import pytest

from tailscale_sidecar import rundir
from tailscale_sidecar.localapi import LocalAPIClient
from tailscale_sidecar.simulator.harness import wait_for
from tests.supervisor.helpers import join_interactively


def long_run_dir(base: Path) -> Path:
    return base / ("r" * 90) / "run"


@pytest.mark.django_db(transaction=True)
def test_another_process_finds_tailscaleds_socket_by_itself(
    start_supervisor, fake_control, sim_env, settings
):
    run_dir = long_run_dir(Path(sim_env["TRACEARR_DATA_DIR"]))
    settings.TAILSCALE_RUN_DIR = run_dir
    path = rundir.socket_path(rundir.TAILSCALED_SOCKET)
    assert len(str(path).encode()) <= rundir.MAX_SOCKET_PATH
    assert not path.is_relative_to(run_dir)
    try:
        supervisor = start_supervisor(TAILSCALE_RUN_DIR=str(run_dir))
        status = join_interactively(fake_control, supervisor)

        assert f"socket={path}" in supervisor.log_text()
        with LocalAPIClient(path) as client:
            assert client.status().self_node.id == status.node_id
            assert client.whois(status.tailnet_ips[0])["Node"]["StableID"] == status.node_id
        # Restarted, it puts the socket in the same place: nothing random, nothing to record.
        supervisor.stop()
        again = start_supervisor(TAILSCALE_RUN_DIR=str(run_dir))
        wait_for(lambda: again.spawn_count() == 1, timeout=20, message=again.log_text)
        assert f"socket={path}" in again.log_text()
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


def someone_elses(stand_in: Path, kind: str, tmp_path: Path) -> None:
    """What another local user could have put at the socket directory's path first."""
    if kind == "symlink":
        stand_in.symlink_to(tmp_path)
    elif kind == "file":
        stand_in.write_text("")
    else:
        stand_in.mkdir()
        os.chown(stand_in, 65534, 65534)


@pytest.mark.parametrize("kind", ["symlink", "file", "another user's directory"])
def test_a_socket_dir_someone_else_made_first_is_refused(kind, settings, tmp_path):
    if kind == "another user's directory" and os.getuid() != 0:
        pytest.skip("only root can make a directory that belongs to another user")
    settings.TAILSCALE_RUN_DIR = long_run_dir(Path("/tmp") / secrets.token_hex(8))
    stand_in = rundir.socket_path(rundir.TAILSCALED_SOCKET).parent
    someone_elses(stand_in, kind, tmp_path)
    try:
        with pytest.raises(PermissionError, match="is not a directory of this user"):
            rundir.make_socket_dir(rundir.TAILSCALED_SOCKET)
    finally:
        if stand_in.is_dir() and not stand_in.is_symlink():
            stand_in.rmdir()
        else:
            stand_in.unlink()


@pytest.mark.django_db(transaction=True)
def test_the_supervisor_refuses_a_socket_dir_it_does_not_own(
    start_supervisor, sim_env, settings, tmp_path
):
    run_dir = long_run_dir(Path(sim_env["TRACEARR_DATA_DIR"]))
    settings.TAILSCALE_RUN_DIR = run_dir
    stand_in = rundir.socket_path(rundir.TAILSCALED_SOCKET).parent
    stand_in.symlink_to(tmp_path)
    try:
        supervisor = start_supervisor(TAILSCALE_RUN_DIR=str(run_dir))
        wait_for(lambda: not supervisor.alive(), timeout=30, message=supervisor.log_text)

        assert supervisor.proc.returncode != 0
        assert f"{stand_in} is not a directory of this user" in supervisor.log_text()
        assert "Traceback" not in supervisor.log_text()
        assert not any(tmp_path.iterdir())
    finally:
        stand_in.unlink()
