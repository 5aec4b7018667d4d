"""The daemon's side of the simulator's control protocol (see fake_control.server)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from .prefs import DEFAULT_CONTROL_URL

# Never go through an HTTP proxy from the environment to reach control.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ControlUnreachable(Exception):
    """Control did not answer (refused, closed, timed out, or not simulated)."""


class ControlRejected(Exception):
    """Control answered that this node is unknown (deleted or logged out)."""


def post(control_url: str, path: str, body: dict, timeout: float) -> dict:
    if not control_url or control_url == DEFAULT_CONTROL_URL:
        # Tailscale's real server: this machine has no route to it.
        raise ControlUnreachable(f"dial {DEFAULT_CONTROL_URL}: no route to host")
    if not control_url.startswith(("http://", "https://")):
        raise ControlUnreachable(f"unsupported control URL {control_url!r}")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        control_url.rstrip("/") + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with _opener.open(request, timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as err:
        if err.code == 401:
            raise ControlRejected(
                json.loads(err.read() or b"{}").get("error", "unauthorized")
            ) from None
        raise ControlUnreachable(f"{path}: HTTP {err.code}") from None
    except (OSError, ValueError) as err:
        raise ControlUnreachable(f"{path}: {err}") from None
