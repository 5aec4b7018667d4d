"""Byte copying shared by the simulator's two programs (proxies, the data plane)."""

from __future__ import annotations

import contextlib
import socket
import threading


def pipe(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until both sides are done (half-close aware).

    A reset on either side shuts the other down completely, so neither copy waits
    for bytes that can no longer come.
    """

    def copy(src: socket.socket, dst: socket.socket) -> None:
        how = socket.SHUT_WR  # EOF: pass the half-close on
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            how = socket.SHUT_RDWR  # a reset: the whole connection is gone
        with contextlib.suppress(OSError):
            dst.shutdown(how)

    a.settimeout(None)
    b.settimeout(None)
    other = threading.Thread(target=copy, args=(b, a), daemon=True)
    other.start()
    copy(a, b)
    other.join()
