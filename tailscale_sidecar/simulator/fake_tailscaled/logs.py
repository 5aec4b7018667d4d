"""tailscaled-style log lines (`2006/01/02 15:04:05 message`) on stderr.

With TS_LOGS_DIR set, the log ID goes to `tailscaled.log.conf` and lines are
also appended to `tailscaled.log1.txt` there, as the real daemon's ring buffer.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import threading
import time
from pathlib import Path

_lock = threading.Lock()
_file = None
verbosity = 0


def setup(logs_dir: str, verbose: int) -> str:
    """Open the on-disk log (if any) and return the node's log ID."""
    global _file, verbosity
    verbosity = verbose
    if not logs_dir:
        return secrets.token_hex(32)
    directory = Path(logs_dir)
    directory.mkdir(parents=True, exist_ok=True)
    conf = directory / "tailscaled.log.conf"
    if conf.exists():
        log_id = json.loads(conf.read_text())["PublicID"]
    else:
        log_id = secrets.token_hex(32)
        conf.write_text(json.dumps({"PrivateID": secrets.token_hex(32), "PublicID": log_id}))
        conf.chmod(0o600)
    _file = (directory / "tailscaled.log1.txt").open("a", buffering=1)
    return log_id


def logf(message: str, level: int = 0) -> None:
    """One line; `level` > 0 lines only show with --verbose >= level."""
    if level > verbosity:
        return
    prefix = f"[v{level}] " if level else ""
    line = f"{time.strftime('%Y/%m/%d %H:%M:%S')} {prefix}{message}\n"
    with _lock:
        if _file is not None:
            _file.write(line)
        try:
            sys.stderr.write(line)
            sys.stderr.flush()
        except (OSError, ValueError):
            pass  # stderr is a pipe to a parent that is gone: keep going


def fatal(message: str, code: int = 1) -> None:
    logf(message)
    os._exit(code)
