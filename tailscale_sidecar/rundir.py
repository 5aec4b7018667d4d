"""Where the run dir's unix sockets are: the same path in every process, nothing recorded.

Two sockets live there: the supervisor's nudge socket (the web sends to it)
and tailscaled's LocalAPI socket (the supervisor drives tailscaled through it;
the web may ask it read-only questions such as `whois`). Every process works
the paths out from TAILSCALE_RUN_DIR alone.

A unix socket path must fit in sun_path (108 bytes on Linux). When
`<run dir>/<socket>` is longer than 100 bytes, the sockets move to a
directory under the temp dir named after the run dir and the user. Anyone can
create a directory there first, so the supervisor checks that it is a real
directory of its own before it puts a socket in it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from pathlib import Path

from django.conf import settings

NUDGE_SOCKET = "supervisor-nudge.sock"
TAILSCALED_SOCKET = "tailscaled.sock"
# sun_path is 108 bytes on Linux; stay clear of it.
MAX_SOCKET_PATH = 100


def socket_path(name: str) -> Path:
    """`<TAILSCALE_RUN_DIR>/<name>`, or the same name in the run dir's short stand-in."""
    run_dir = Path(settings.TAILSCALE_RUN_DIR)
    path = run_dir / name
    if len(str(path).encode()) <= MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(run_dir).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"tracearr-{os.getuid()}-{digest}" / name


def make_socket_dir(name: str) -> Path:
    """Create the directory `socket_path(name)` is in, private to this user; the socket's path.

    Raises PermissionError when that path holds anything else: a file, a
    symlink, or another user's directory.
    """
    path = socket_path(name)
    directory = path.parent
    with contextlib.suppress(FileExistsError):  # whoever made it, it is checked next
        directory.mkdir(mode=0o700, parents=True)
    info = directory.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise PermissionError(
            f"{directory} is not a directory of this user, so no socket is put in it; "
            "remove it, or set TAILSCALE_RUN_DIR to a directory of your own"
        )
    directory.chmod(0o700)
    return path
