"""An empty or corrupt state file is never stored over a good version."""

import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tailscale_sidecar.models import StoredState
from tailscale_sidecar.state.crypto import get_cipher
from tailscale_sidecar.state.store import persist_state_file

from .helpers import make_state, write_like_tailscaled

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "bad",
    [b"", b"{", b"[]", b'{"_machinekey": "privkey:0123abcd"}'],
    ids=["empty", "truncated", "array", "plain-text-key"],
)
def test_it_keeps_the_good_version_when_the_file_goes_bad(state_key, state_path, caplog, bad):
    good = make_state()
    write_like_tailscaled(state_path, good)
    persist_state_file(state_path)
    write_like_tailscaled(state_path, bad)

    with caplog.at_level(logging.WARNING), CaptureQueriesContext(connection) as queries:
        result = persist_state_file(state_path)

    assert result is None
    assert queries.captured_queries == []
    assert StoredState.objects.count() == 1
    assert get_cipher().decrypt(StoredState.latest_version().ciphertext) == good
    assert "not storing the Tailscale state file" in caplog.text
    assert "0123abcd" not in caplog.text


def test_an_empty_file_is_not_stored_on_an_empty_database(state_key, state_path):
    state_path.write_bytes(b"")

    assert persist_state_file(state_path) is None
    assert StoredState.objects.count() == 0
