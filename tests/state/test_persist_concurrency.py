"""Persists of the same content at the same time store it once."""

import threading

import pytest
from django.db import connections

from tailscale_sidecar.models import StoredState
from tailscale_sidecar.state.store import persist_state_file

from .helpers import make_state, write_like_tailscaled

THREADS = 6
ROUNDS = 5


def persist_at_once(state_path) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def persist() -> None:
        try:
            barrier.wait(timeout=10)
            persist_state_file(state_path)
        except BaseException as exc:  # reported by the caller's assertion
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=persist) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_persists_of_one_content_store_one_row(state_key, state_path):
    for serial in range(ROUNDS):
        write_like_tailscaled(state_path, make_state(serial=serial))

        assert persist_at_once(state_path) == []
        assert StoredState.objects.count() == serial + 1
