"""The machine key's plaintext never reaches the database, in any form."""

import base64
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from tailscale_sidecar.models import StoredState
from tailscale_sidecar.state.store import persist_state_file

from .helpers import make_state, write_like_tailscaled

# The file holds values base64-encoded ("cHJpdmtleT" is "privkey:" in base64),
# so look for the key both as the file has it and decoded.
ENCODED_NEEDLE = base64.b64encode(b"privkey:")[:10]
NEEDLES = [b"privkey:", ENCODED_NEEDLE]


def table_dump() -> bytes:
    """Every column of every row, as the database returns it."""
    table = connection.ops.quote_name(StoredState._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - our own table name
        return repr(cursor.fetchall()).encode()


def sqlite_files() -> bytes:
    """The raw database and WAL files, read by another process.

    Opening and closing a SQLite file in this process would drop this
    process's POSIX locks on it (they are per process, not per descriptor), and
    other processes sharing the test database could then delete its WAL under
    our open connection ("disk I/O error").
    """
    name = Path(connection.settings_dict["NAME"])
    wal = name.with_name(name.name + "-wal")
    paths = [str(path) for path in (name, wal) if path.exists()]
    return subprocess.run(["cat", *paths], capture_output=True, check=True, timeout=30).stdout


@pytest.mark.django_db(transaction=True)
def test_the_machine_key_never_appears_in_the_database(state_key, state_path):
    for serial in range(3):
        data = make_state(serial=serial)
        assert ENCODED_NEEDLE in data  # the needle would be found if stored as is
        write_like_tailscaled(state_path, data)
        persist_state_file(state_path)
    assert StoredState.objects.count() == 3

    ciphertexts = "".join(StoredState.objects.values_list("ciphertext", flat=True)).encode()
    places = {"ciphertext column": ciphertexts, "table dump": table_dump()}
    if connection.vendor == "sqlite":
        places["database files"] = sqlite_files()

    for place, content in places.items():
        for needle in NEEDLES:
            assert needle not in content, f"{needle!r} found in the {place}"
