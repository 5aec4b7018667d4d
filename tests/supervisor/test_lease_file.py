"""The SQLite lease: an exclusive flock, free again once its holder lets go."""

from tailscale_sidecar.supervisor.lease import FileLease


def test_only_one_holder_at_a_time(tmp_path):
    first = FileLease(tmp_path / "lock")
    second = FileLease(tmp_path / "lock")
    assert first.try_acquire()
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()
