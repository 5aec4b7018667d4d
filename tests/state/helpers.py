"""Helpers for the state tests: realistic state files and polling."""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path


def b64(value: bytes | str) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.b64encode(raw).decode()


def state_has_identity(state: dict) -> bool:
    """Whether the node has a machine key or a login profile (is not blank)."""
    return "_machinekey" in state or any(key.startswith("profile-") for key in state)


def make_state(*, logged_in: bool = True, serial: int = 0) -> bytes:
    """A state file shaped like tailscaled's (values base64, 2-space indent).

    `serial` changes the content the way a prefs edit would.
    """
    machine_key = "privkey:" + secrets.token_hex(32)
    state = {"_machinekey": b64(machine_key)}
    if logged_in:
        profile = {
            "ControlURL": "https://controlplane.tailscale.com",
            "Hostname": f"tracearr-{serial}",
            "Config": {"PrivateNodeKey": "privkey:" + secrets.token_hex(32)},
        }
        state.update(
            {
                "_current-profile": b64("profile-a1b2"),
                "_profiles": b64(json.dumps({"a1b2": {"ID": "a1b2", "Key": "profile-a1b2"}})),
                "profile-a1b2": b64(json.dumps(profile, indent="\t")),
            }
        )
    return json.dumps(state, indent=2).encode()


def write_like_tailscaled(path: Path, data: bytes) -> None:
    """Temp file `<name>.tmp<digits>` in the same directory, 0600, then rename."""
    tmp = path.with_name(f"{path.name}.tmp{secrets.randbelow(10**9)}")
    with open(tmp, "wb") as f:
        f.write(data)
        os.fchmod(f.fileno(), 0o600)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def wait_for(predicate: Callable[[], object], timeout: float = 15.0, what: str = "") -> object:
    """Poll until `predicate()` is truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(0.02)
