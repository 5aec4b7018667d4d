"""tailscaled's state file (the node identity) kept encrypted in the database.

- `persist_state_file` stores a new encrypted version when the file changed and
  is valid; an empty or corrupt file never replaces a good version.
- `restore_state_file` writes the newest version back before tailscaled starts
  (atomically, 0600): the database wins over whatever is on disk.
- `StateDirWatcher` watches the state file's *directory*: tailscaled replaces the
  file by rename, so a watch on the file itself goes deaf after the first write.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import tempfile
from contextlib import suppress
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from tailscale_sidecar.models import StoredState
from tailscale_sidecar.state.crypto import get_cipher

logger = logging.getLogger(__name__)

# Any constant works: it only has to be the same in every process.
_PERSIST_LOCK_ID = 0x7473_7374  # "tsst"

StrPath = str | os.PathLike[str]


class InvalidState(ValueError):
    """The bytes are not a tailscaled state file; the message says why."""


def validate_state(data: bytes) -> dict:
    """The state as tailscaled writes it: a JSON object of base64 strings.

    Returns the parsed object (values still base64 text). `{}` is valid: it is
    what tailscaled writes for a fresh node.
    """
    if not data.strip():
        raise InvalidState("the file is empty")
    try:
        state = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidState("the file is not JSON") from None
    if not isinstance(state, dict):
        raise InvalidState(f"the file holds a JSON {type(state).__name__}, not an object")
    for key, value in state.items():
        if not isinstance(value, str):
            raise InvalidState(f"the value of {key!r} is not a base64 string")
        try:
            base64.b64decode(value, validate=True)
        except binascii.Error:
            raise InvalidState(f"the value of {key!r} is not valid base64") from None
    return state


def persist_state_file(path: StrPath) -> StoredState | None:
    """Store the file as a new encrypted version if it is valid and changed.

    Returns the new row, or None when nothing was stored (missing, invalid or
    unchanged file). Exactly one INSERT per change, no write otherwise.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    try:
        validate_state(data)
    except InvalidState as exc:
        # Never the content: it holds private keys.
        logger.warning("not storing the Tailscale state file %s: %s", path, exc)
        return None
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        _serialize_persists()
        latest = StoredState.latest_version()
        if latest is not None and latest.sha256 == digest:
            return None
        row = StoredState.objects.create(
            sha256=digest, ciphertext=get_cipher().encrypt(data), size=len(data)
        )
    logger.info("stored Tailscale state version %s (%d bytes)", digest[:12], len(data))
    return row


def _serialize_persists() -> None:
    """Make compare-and-insert atomic across processes, so equal content lands once.

    Locking the newest row would not do: a second writer waiting on it still
    reads the old newest row afterwards. PostgreSQL gets a transaction-scoped
    advisory lock; SQLite's `BEGIN IMMEDIATE` (see settings) already takes the
    database write lock when the transaction starts.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PERSIST_LOCK_ID])


def restore_state_file(path: StrPath) -> bool:
    """Write the newest stored version to `path`; False when there is none.

    Raises StateKeyError (before touching the file) when the configured keys
    cannot decrypt it.
    """
    latest = StoredState.latest_version()
    if latest is None:
        return False
    data = get_cipher().decrypt(latest.ciphertext)
    write_atomically(Path(path), data)
    logger.info("restored Tailscale state version %s", latest.sha256[:12])
    return True


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so a crash leaves the old or the new file, whole.

    Same scheme as tailscaled: temp file in the same directory, fsync, 0600,
    rename, then fsync the directory so the rename itself is durable.
    """
    directory = path.parent
    if not directory.is_dir():
        directory.mkdir(mode=0o700, parents=True)
        directory.chmod(0o700)  # mkdir's mode is filtered by the umask
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f"{path.name}.tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, 0o600)
        os.replace(tmp_name, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def prune_state_versions(keep: int | None = None) -> int:
    """Delete all but the newest `keep` versions; returns how many went.

    `keep` defaults to settings.TAILSCALE_STATE_VERSIONS_KEPT.
    """
    keep = settings.TAILSCALE_STATE_VERSIONS_KEPT if keep is None else keep
    if keep < 1:
        raise ValueError("keep at least one state version: the newest is the node's identity")
    with transaction.atomic():
        old_ids = list(
            StoredState.objects.order_by("-created_at", "-id").values_list("id", flat=True)[keep:]
        )
        if not old_ids:
            return 0
        deleted, _ = StoredState.objects.filter(id__in=old_ids).delete()
    return deleted
