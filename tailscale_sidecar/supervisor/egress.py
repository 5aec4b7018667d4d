"""Does the app's outbound traffic get out through the chosen exit node?

Choosing an exit node only sets prefs; whether traffic flows also depends on
things tailscaled cannot see: the exit node approved in the admin console, a
policy that grants `autogroup:internet`, the exit node forwarding at all. So
once the node uses the exit node, one request goes through tailscaled's HTTP
proxy to `TAILSCALE_EXIT_NODE_CHECK_URL`. It runs in a thread of its own (it
may take seconds) and reports to the loop, which writes `exit_node_error`.
A failed check is tried again, at most every `RETRY_AFTER` seconds.
"""

from __future__ import annotations

import logging
import threading
import time

import httpx
from django.conf import settings

log = logging.getLogger(__name__)

TIMEOUT = 10.0
RETRY_AFTER = 30.0
LIKELY_CAUSES = (
    "Likely causes: the exit node is not approved in the admin console, the tailnet "
    "policy does not grant this device autogroup:internet, or the exit node is not "
    "forwarding traffic."
)


def check(proxy_addr: str, url: str) -> str:
    """'' when a request to `url` through the proxy got an answer from it; else why not."""
    try:
        with httpx.Client(proxy=f"http://{proxy_addr}", timeout=TIMEOUT, trust_env=False) as c:
            response = c.get(url)
    except httpx.HTTPError as exc:
        return str(exc) or type(exc).__name__
    # tailscaled's proxy says so when it could not dial (the answer is then its own).
    refused = response.headers.get("Tailscale-Connect-Error")
    if refused or response.status_code == 502:
        return refused or "the proxy answered 502 Bad Gateway"
    return ""


class EgressCheck:
    """One check at a time for the exit node in use; the loop asks for the outcome."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._for: tuple[object, ...] | None = None  # what was checked: node, proxy, online
        self._running = False
        self._error = ""
        self._checked_at = 0.0

    def result(
        self, exit_node: str, online: bool, name: str, proxy_addr: str, wake: threading.Event
    ) -> str:
        """The message for the page ('' when traffic gets out); starts a check when due.

        A new exit node, proxy address or online state is checked at once.
        """
        key = (exit_node, proxy_addr, online)
        with self._lock:
            due = key != self._for or (
                self._error and time.monotonic() - self._checked_at >= RETRY_AFTER
            )
            if due and not self._running:
                if key != self._for:
                    self._error = ""
                self._for, self._running = key, True
                threading.Thread(
                    target=self._run, args=(key, name, proxy_addr, wake), daemon=True
                ).start()
            return self._error

    def _run(
        self, key: tuple[object, ...], name: str, proxy_addr: str, wake: threading.Event
    ) -> None:
        why = check(proxy_addr, settings.TAILSCALE_EXIT_NODE_CHECK_URL)
        message = (
            f"Exit node {name} is selected but traffic does not get through ({why}). "
            f"{LIKELY_CAUSES}"
            if why
            else ""
        )
        if why:
            log.warning("exit node %s: traffic does not get through: %s", name, why)
        else:
            log.info("exit node %s: traffic gets through", name)
        with self._lock:
            if self._for == key:
                self._error, self._checked_at = message, time.monotonic()
            self._running = False
        wake.set()  # the loop writes the outcome at once
