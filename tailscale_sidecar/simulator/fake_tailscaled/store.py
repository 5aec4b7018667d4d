"""tailscaled's state store: a JSON object of base64 values (ipn/store).

The file is rewritten whole, via `<name>.tmp<digits>` + chmod 0600 + fsync +
rename, and only when a value actually changes. `mem:` keeps it in memory.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import random
import threading
from pathlib import Path


class StoreInitError(Exception):
    """The state file exists but cannot be read (empty or corrupt)."""


class MemStore:
    def __init__(self) -> None:
        self._values: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def read(self, key: str) -> bytes | None:
        with self._lock:
            return self._values.get(key)

    def key_names(self) -> list[str]:
        with self._lock:
            return list(self._values)

    def write(self, key: str, value: bytes) -> None:
        with self._lock:
            if self._values.get(key) == value:
                return
            self._values[key] = value
            self._flush()

    def delete(self, key: str) -> None:
        with self._lock:
            if self._values.pop(key, None) is not None:
                self._flush()

    def _flush(self) -> None:
        """Nothing to persist in memory."""


class FileStore(MemStore):
    def __init__(self, path: Path, *, corrupt_writes: bool = False) -> None:
        super().__init__()
        self.path = path
        # Fault injection: every write puts garbage on disk.
        self._corrupt_writes = corrupt_writes
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if path.parent.name == "tailscale":
            path.parent.chmod(0o700)
        if not path.exists():
            self._flush()
            return
        self._values = self._parse(path.read_bytes())

    def _parse(self, raw: bytes) -> dict[str, bytes]:
        where = f'failed to unmarshal "{self.path}"'
        if not raw.strip():
            raise StoreInitError(f"{where}: unexpected end of JSON input")
        try:
            data = json.loads(raw)
        except ValueError as err:
            raise StoreInitError(f"{where}: invalid character at offset {err.pos}") from None
        if not isinstance(data, dict):
            raise StoreInitError(f"{where}: json: cannot unmarshal into map[ipn.StateKey][]uint8")
        try:
            return {key: base64.b64decode(value, validate=True) for key, value in data.items()}
        except (binascii.Error, TypeError):
            raise StoreInitError(f"{where}: illegal base64 data") from None

    def _flush(self) -> None:
        encoded = {k: base64.b64encode(v).decode() for k, v in sorted(self._values.items())}
        payload = json.dumps(encoded, indent=2).encode()
        if self._corrupt_writes:
            payload = b"\x00garbage{" + payload[: len(payload) // 2]
        tmp = self.path.with_name(f"{self.path.name}.tmp{random.randrange(10**9)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, payload)
            os.fchmod(fd, 0o600)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
