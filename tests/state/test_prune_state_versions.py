"""Pruning keeps the newest versions and deletes the rest."""

import pytest

from tailscale_sidecar.models import StoredState
from tailscale_sidecar.state.crypto import get_cipher
from tailscale_sidecar.state.store import persist_state_file, prune_state_versions

from .helpers import make_state, write_like_tailscaled

pytestmark = pytest.mark.django_db


def store_versions(state_path, count: int) -> list[bytes]:
    contents = [make_state(serial=n) for n in range(count)]
    for data in contents:
        write_like_tailscaled(state_path, data)
        persist_state_file(state_path)
    return contents


def test_it_keeps_the_newest_versions(state_key, state_path):
    contents = store_versions(state_path, 5)

    assert prune_state_versions(keep=2) == 3

    kept = [get_cipher().decrypt(r.ciphertext) for r in StoredState.objects.order_by("id")]
    assert kept == contents[-2:]


def test_it_defaults_to_the_configured_number(settings, state_key, state_path):
    settings.TAILSCALE_STATE_VERSIONS_KEPT = 3
    store_versions(state_path, 4)

    assert prune_state_versions() == 1
    assert StoredState.objects.count() == 3


def test_it_deletes_nothing_when_there_are_few_versions(state_key, state_path):
    store_versions(state_path, 2)

    assert prune_state_versions(keep=5) == 0
    assert StoredState.objects.count() == 2


def test_it_refuses_to_delete_the_newest_version(state_key, state_path):
    store_versions(state_path, 1)

    with pytest.raises(ValueError):
        prune_state_versions(keep=0)
    assert StoredState.objects.count() == 1
