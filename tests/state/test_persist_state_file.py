"""persist_state_file writes exactly one row per change and nothing otherwise."""

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tailscale_sidecar.models import StoredState
from tailscale_sidecar.state.crypto import get_cipher
from tailscale_sidecar.state.store import persist_state_file

from .helpers import make_state, write_like_tailscaled

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def writes_in(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)
    ]


def test_it_stores_a_new_state_with_exactly_one_insert(state_key, state_path):
    data = make_state()
    write_like_tailscaled(state_path, data)

    with CaptureQueriesContext(connection) as queries:
        row = persist_state_file(state_path)

    writes = writes_in(queries)
    assert len(writes) == 1 and writes[0].lstrip().upper().startswith("INSERT")
    assert row is not None
    assert row.sha256 == hashlib.sha256(data).hexdigest()
    assert row.size == len(data)
    assert get_cipher().decrypt(StoredState.latest_version().ciphertext) == data


def test_it_writes_nothing_when_the_file_is_unchanged(state_key, state_path):
    write_like_tailscaled(state_path, make_state())
    persist_state_file(state_path)

    with CaptureQueriesContext(connection) as queries:
        result = persist_state_file(state_path)

    assert result is None
    assert writes_in(queries) == []
    assert StoredState.objects.count() == 1


def test_each_change_adds_one_version(state_key, state_path):
    contents = [make_state(serial=n) for n in range(3)]

    for data in contents:
        write_like_tailscaled(state_path, data)
        with CaptureQueriesContext(connection) as queries:
            persist_state_file(state_path)
        assert len(writes_in(queries)) == 1

    stored = [get_cipher().decrypt(r.ciphertext) for r in StoredState.objects.order_by("id")]
    assert stored == contents


def test_returning_to_an_older_content_is_a_new_version(state_key, state_path):
    first, second = make_state(serial=1), make_state(serial=2)
    for data in (first, second, first):
        write_like_tailscaled(state_path, data)
        persist_state_file(state_path)

    assert StoredState.objects.count() == 3
    assert get_cipher().decrypt(StoredState.latest_version().ciphertext) == first


def test_a_missing_file_stores_nothing(state_key, state_path):
    with CaptureQueriesContext(connection) as queries:
        result = persist_state_file(state_path)

    assert result is None
    assert queries.captured_queries == []
