"""Loopback addresses that stand for one tailnet connection each.

`POST /admin/api/nodes/<id>/connect`: a loopback address that acts as a tailnet
peer. There is no WireGuard here. Each running fake-tailscaled listens on a
loopback port of its own, its simulated wire (the "ingress", reported in every
map poll). `open_connection` makes a one-shot listener; the first connection it
accepts is relayed to the target daemon's ingress behind one JSON line,

    {"from": "<stable ID of the connecting node>", "port": N, "generation": G}

so the daemon handles it as that peer connecting to its tailnet IP on port N
(serve if N is served, otherwise forwarded to 127.0.0.1:N). It waits for a
netmap at least as new as generation G, so a device created just before is
already its peer.

`POST /machine/exit-dial`: `open_exit_connection` is the exit node's side of a
node's connection to the internet. Its one-shot listener dials `host:port`
from here (loopback stands for the internet) and pipes the bytes.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable

from ..streams import pipe

# An address nobody connects to is closed after this long.
ACCEPT_TIMEOUT = 120.0
DIAL_TIMEOUT = 10.0


def open_connection(ingress_port: int, header: dict) -> str:
    """Listen on a fresh loopback port for one connection; returns "127.0.0.1:P"."""
    preamble = json.dumps(header).encode() + b"\n"
    return _listen_once(
        lambda: socket.create_connection(("127.0.0.1", ingress_port), timeout=DIAL_TIMEOUT),
        preamble,
    )


def open_exit_connection(host: str, port: int) -> str:
    """One connection to `host:port`, as an exit node makes it; returns "127.0.0.1:P"."""
    return _listen_once(lambda: socket.create_connection((host, port), timeout=DIAL_TIMEOUT))


def split_host_port(dest: str) -> tuple[str, int]:
    """("host", port) from "host:port" or "[v6]:port"; ValueError otherwise."""
    host, _, port = dest.rpartition(":")
    bracketed = host.startswith("[") and host.endswith("]")
    host = host[1:-1] if bracketed else host
    valid_host = bool(host) and (bracketed or ":" not in host)
    if not valid_host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"bad address {dest!r}: want host:port")
    return host, int(port)


def _listen_once(dial: Callable[[], socket.socket], preamble: bytes = b"") -> str:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(ACCEPT_TIMEOUT)
    threading.Thread(target=_relay_once, args=(listener, dial, preamble), daemon=True).start()
    return f"127.0.0.1:{listener.getsockname()[1]}"


def _relay_once(
    listener: socket.socket, dial: Callable[[], socket.socket], preamble: bytes
) -> None:
    try:
        client, _ = listener.accept()
    except OSError:
        return
    finally:
        listener.close()
    with client:
        try:
            upstream = dial()
        except OSError:
            return  # nobody there (a daemon gone, a refused port): the connection just closes
        with upstream:
            if preamble:
                upstream.sendall(preamble)
            pipe(client, upstream)
