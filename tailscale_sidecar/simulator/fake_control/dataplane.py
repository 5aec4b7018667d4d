"""`POST /admin/api/nodes/<id>/connect`: a loopback address that acts as a tailnet peer.

There is no WireGuard here. Each running fake-tailscaled listens on a loopback
port of its own, its simulated wire (the "ingress", reported in every map
poll). `open` makes a one-shot listener; the first connection it accepts is
relayed to the target daemon's ingress behind one JSON line,

    {"from": "<stable ID of the connecting node>", "port": N, "generation": G}

so the daemon handles it as that peer connecting to its tailnet IP on port N
(serve if N is served, otherwise forwarded to 127.0.0.1:N). It waits for a
netmap at least as new as generation G, so a device created just before is
already its peer.
"""

from __future__ import annotations

import json
import socket
import threading

from ..streams import pipe

# An address nobody connects to is closed after this long.
ACCEPT_TIMEOUT = 120.0


def open_connection(ingress_port: int, header: dict) -> str:
    """Listen on a fresh loopback port for one connection; returns "127.0.0.1:P"."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(ACCEPT_TIMEOUT)
    threading.Thread(target=_relay_once, args=(listener, ingress_port, header), daemon=True).start()
    return f"127.0.0.1:{listener.getsockname()[1]}"


def _relay_once(listener: socket.socket, ingress_port: int, header: dict) -> None:
    try:
        client, _ = listener.accept()
    except OSError:
        return
    finally:
        listener.close()
    with client:
        try:
            wire = socket.create_connection(("127.0.0.1", ingress_port), timeout=10)
        except OSError:
            return  # the daemon went away: the peer's connection just closes
        with wire:
            wire.sendall(json.dumps(header).encode() + b"\n")
            pipe(client, wire)
