"""NodeRun: one run of tailscaled with its LocalAPI client and its IPN bus stream.

The three are created together when tailscaled starts and torn down together
when it stops or dies, so nothing can outlive the process it talks to. The
run also remembers what belongs to it alone: the login calls made, how long
the node has sat in NoState, and when its next health check is due.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

from tailscale_sidecar import oauthkey
from tailscale_sidecar.config import EffectiveConfig
from tailscale_sidecar.localapi import BackendState, LocalAPIClient, LocalAPIError, Notify, Status
from tailscale_sidecar.supervisor import frontdoor, reconcile
from tailscale_sidecar.supervisor.bus import BusWorker
from tailscale_sidecar.supervisor.child import ChildConfig, Tailscaled
from tailscale_sidecar.supervisor.egress import EgressCheck
from tailscale_sidecar.supervisor.health import HealthResult, probe
from tailscale_sidecar.supervisor.logbuffer import LogBuffer
from tailscale_sidecar.supervisor.reconcile import Call, NodePlan

log = logging.getLogger(__name__)

READY_TIMEOUT = 20.0
# How long a logout from a login server the node is leaving may take.
LOGOUT_BOUND = 10.0
# How long a clean stop waits to log an ephemeral node out (the process manager's
# grace period must still cover stopping tailscaled after it).
RELEASE_BOUND = 5.0


class LoginKeyRefused(Exception):
    """No key could be minted for a login: the message says why, `observed` what the node shows."""

    def __init__(self, message: str, observed: dict[str, Any]) -> None:
        super().__init__(message)
        self.observed = observed


class NodeRun:
    def __init__(
        self, config: ChildConfig, logs: LogBuffer, wake: threading.Event, pidfile: Path
    ) -> None:
        self.config = config
        self.logs = logs
        self.wake = wake
        self.child = Tailscaled(config, logs, on_exit=wake.set, pidfile=pidfile)
        self.client = LocalAPIClient(config.socket_path, timeout=settings.TAILSCALE_PROBE_TIMEOUT)
        self.bus: BusWorker | None = None
        # Filled by the bus thread, drained by the loop: only the loop decides.
        self._notifies: queue.SimpleQueue[Notify] = queue.SimpleQueue()
        self._logins: frozenset[Call] = frozenset()
        self._logins_generation: int | None = None
        self._nostate_since: float | None = None
        self.health_due_at = 0.0
        self._egress = EgressCheck()

    # --- start and stop ------------------------------------------------------

    def start(self, stopping: threading.Event, on_wait: Callable[[], None]) -> bool:
        """Spawn tailscaled and wait until it serves; False if it did not get there.

        `on_wait` runs between readiness checks (the loop's heartbeat).
        Raises OSError when the binary cannot be executed.
        """
        self.child.start()
        if not self._wait_until_ready(stopping, on_wait):
            if self.child.alive() and not stopping.is_set():
                self.logs.append(f"tailscaled did not get ready within {READY_TIMEOUT:g}s")
                self.child.kill()
            return False
        self.bus = BusWorker(str(self.config.socket_path), self._on_notify)
        self.bus.start()
        self.health_due_at = time.monotonic() + settings.TAILSCALE_HEALTHCHECK_INTERVAL
        return True

    def _wait_until_ready(self, stopping: threading.Event, on_wait: Callable[[], None]) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline and self.child.alive() and not stopping.is_set():
            try:
                if self.client.ready():
                    return True
            except LocalAPIError:
                pass  # the socket is not there yet
            on_wait()
            stopping.wait(0.05)
        return False

    def close(self, kill: bool = False) -> None:
        """Stop the bus, the process (SIGTERM, or SIGKILL for a dead/hung one) and the client."""
        if self.bus is not None:
            self.bus.stop()
            self.bus = None
        if kill:
            self.child.kill()  # reaps it and closes the parent-death pipe
        else:
            self.child.stop()
            log.info("stopped tailscaled pid=%d", self.child.pid)
        self.client.close()

    # --- what the run reports ------------------------------------------------

    def alive(self) -> bool:
        return self.child.alive()

    def proxy_fields(self) -> dict[str, str]:
        """Where the outbound proxy listens: as logged (port 0 picks one), else as configured."""
        addr = self.config.proxy_addr
        if not addr:
            return {"socks5_addr": "", "http_proxy_addr": ""}
        found = self.child.proxy_addrs
        return {
            "socks5_addr": found.get("SOCKS5", addr),
            "http_proxy_addr": found.get("HTTP proxy", addr),
        }

    def _on_notify(self, notify: Notify) -> None:
        """Bus thread: hand the message to the loop and wake it."""
        self._notifies.put(notify)
        self.wake.set()

    def take_notifies(self) -> list[Notify]:
        """The bus messages received since the last call, oldest first."""
        taken = []
        while True:
            try:
                taken.append(self._notifies.get_nowait())
            except queue.Empty:
                return taken

    def check_health(self) -> HealthResult:
        self.health_due_at = time.monotonic() + settings.TAILSCALE_HEALTHCHECK_INTERVAL
        return probe(self.child.pid, self.client)

    def health_due(self) -> bool:
        return time.monotonic() >= self.health_due_at

    # --- reconciling ----------------------------------------------------------

    def reconcile(self, config: EffectiveConfig, status: Status | None = None) -> dict[str, Any]:
        """Make the calls the rules ask for; returns the observed fields.

        `status` is one a health probe has just fetched. Raises LocalAPIError,
        and LoginKeyRefused when no key could be minted for a login.
        """
        if status is None:
            status = self.client.status()
        prefs = self.client.prefs() if status.backend_state in reconcile.PREFS_STATES else None
        plan = reconcile.plan_node(
            status, prefs, config, self._logins_for(config.generation), self._nostate_for(status)
        )
        # Remembered before sending: a slow `start` is never sent twice.
        self._logins = plan.logins
        try:
            self._make_calls(plan, config)
        except oauthkey.OAuthKeyError as exc:
            raise LoginKeyRefused(str(exc), plan.observed | self.proxy_fields()) from None
        running = self._front_door(config, status) | self._exit_node(config, status)
        return plan.observed | self.proxy_fields() | running

    def _exit_node(self, config: EffectiveConfig, status: Status) -> dict[str, Any]:
        """The exit-node options, the one in use, and whether traffic gets out through it."""
        if status.backend_state != BackendState.Running:
            return {}
        try:
            fields = reconcile.exit_node_fields(self.client.status(peers=True))
        except LocalAPIError as exc:
            log.warning("could not read the peers for the exit nodes: %s", exc)
            return {}
        in_use = fields["exit_node_status"]
        proxy = self.proxy_fields()["http_proxy_addr"]
        error = ""
        if config.exit_node and in_use.get("id") == config.exit_node and proxy:
            name = next(
                (o["name"] for o in fields["exit_nodes"] if o["id"] == config.exit_node),
                config.exit_node,
            )
            error = self._egress.result(
                config.exit_node, bool(in_use.get("online")), name, proxy, self.wake
            )
        return fields | {"exit_node_error": error}

    def _front_door(self, config: EffectiveConfig, status: Status) -> dict[str, Any]:
        """The HTTPS front door's fields; its serve config is only touched while Running."""
        if status.backend_state != BackendState.Running:
            return {"https_url": ""}
        try:
            return frontdoor.reconcile_front_door(
                self.client, status, config.https, settings.TAILSCALE_WEB_PORT
            )
        except LocalAPIError as exc:
            log.warning("could not read or write the serve config: %s", exc)
            return {}

    def _make_calls(self, plan: NodePlan, config: EffectiveConfig) -> None:
        for call in plan.calls:
            if call is Call.START:
                # Minted here, only when a login needs a key, and handed straight to `start`.
                key = oauthkey.login_key(reconcile.auth_key(config), config.tags)
                log.info("starting the backend with the full prefs")
                self.client.start(reconcile.full_prefs(config), key)
            elif call is Call.LOGOUT:
                self._log_out_of_old_server()
            elif call is Call.LOGIN_INTERACTIVE:
                self.client.login_interactive()
            elif call is Call.PATCH_PREFS:
                log.info("updating tailscaled prefs: %s", ", ".join(sorted(plan.patch)))
                self.client.patch_prefs(plan.patch)

    def _log_out_of_old_server(self) -> None:
        """Bounded: an old server that no longer answers must not keep the node from moving."""
        log.info("the login server changed: logging out of the old one first")
        try:
            self.client.logout(timeout=LOGOUT_BOUND)
        except LocalAPIError as exc:
            log.warning("could not log out of the old login server (%s); moving on", exc)

    def release_if_ephemeral(self, config: EffectiveConfig) -> None:
        """Log an ephemeral node out before a clean stop, so no dead machine stays behind."""
        if not self.alive() or not oauthkey.makes_ephemeral_node(reconcile.auth_key(config)):
            return
        try:
            self.client.logout(timeout=RELEASE_BOUND)
            log.info("ephemeral node: logged out of the tailnet before stopping")
        except LocalAPIError as exc:
            log.warning("ephemeral node: logout failed (%s); control will remove it later", exc)

    # --- memory of this run --------------------------------------------------

    def forget_logins(self) -> None:
        """Make the login calls again on the next reconcile (Retry after a refused key)."""
        self._logins = frozenset()

    def _logins_for(self, generation: int) -> frozenset[Call]:
        """The login calls made in this run for this desired generation."""
        if self._logins_generation != generation:
            self._logins = frozenset()
            self._logins_generation = generation
        return self._logins

    def _nostate_for(self, status: Status) -> float:
        """How long a node with its identity has been in NoState (0 otherwise)."""
        if status.backend_state != BackendState.NoState or not status.have_node_key:
            self._nostate_since = None
            return 0.0
        now = time.monotonic()
        if self._nostate_since is None:
            self._nostate_since = now
        return now - self._nostate_since
