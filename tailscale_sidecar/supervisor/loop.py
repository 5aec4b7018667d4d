"""The supervisor loop: make tailscaled match DesiredConfig, report ObservedStatus.

One thread owns every decision. It wakes on a nudge, a child exit, an IPN bus
message, a poll tick or a health tick, and each time compares the desired
configuration with reality (level-triggered), so a lost wake-up only delays
a change. Helper threads (bus, child waiter, nudge listener, state watcher)
only report and set `wake`. See docs/supervisor.md.

Who owns what: Lifecycle (lifecycle.py) the current NodeRun, backoff and
failure; NodeRun (noderun.py) one tailscaled run with its LocalAPI client and
bus stream; StatusReporter (report.py) every write of ObservedStatus;
StateKeeper (statekeeper.py) the state file and its watcher; reconcile.py the
rules. This module owns the order of a tick and the actions.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.db import DatabaseError, Error

from tailscale_sidecar.config import effective_config
from tailscale_sidecar.events import Kind, record
from tailscale_sidecar.localapi import LocalAPIError, LocalAPITimeout, Status
from tailscale_sidecar.models import DesiredConfig, ObservedStatus, Phase
from tailscale_sidecar.nudge import NudgeListener
from tailscale_sidecar.supervisor import reconcile
from tailscale_sidecar.supervisor.lease import make_lease
from tailscale_sidecar.supervisor.lifecycle import Lifecycle
from tailscale_sidecar.supervisor.logbuffer import LogBuffer
from tailscale_sidecar.supervisor.noderun import LoginKeyRefused, NodeRun
from tailscale_sidecar.supervisor.redact import redact
from tailscale_sidecar.supervisor.report import StatusReporter

log = logging.getLogger(__name__)

LEASE_RETRY = 1.0

UNAVAILABLE_MESSAGE = (
    "tailscaled was not found (TAILSCALED_BIN={bin!r}). Install tailscaled in the image, "
    "or set TAILSCALED_BIN to the path of the tailscaled binary."
)


class LeaseLost(Exception):
    """Another supervisor's session holds the lease: it owns the node now."""


class Supervisor:
    def __init__(self) -> None:
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.lease = make_lease()
        self.logs = LogBuffer()
        self.report = StatusReporter(self.logs)
        self.nudges = NudgeListener(self.wake)
        self.life = Lifecycle(self.report, self.logs, self.wake, self.stopping)
        self.state = self.life.state
        self.desired: DesiredConfig | None = None  # the last one read from the DB
        self.reset_done = 0
        self.retry_done = 0
        self.was_enabled: bool | None = None  # for the timeline's enabled/disabled

    # --- the lease and the loop ----------------------------------------------

    def request_stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def run(self) -> int:
        """Serve until asked to stop; a lost lease sends us back to standby."""
        self.nudges.start()
        try:
            while not self.stopping.is_set():
                if not self._wait_for_lease():
                    break
                self.nudges.bind()
                try:
                    self._serve()
                except LeaseLost:
                    holder = self.lease.holder or "another supervisor"
                    log.error(
                        "lost the supervisor lease to %s; stopping tailscaled and standing by",
                        holder,
                    )
                    self.nudges.unbind()
                    record(Kind.LEASE_TAKEN_OVER, f"{holder} took over the node.", holder=holder)
                    self.life.stop()
                    # Not flushed: the other supervisor's state is the node's now.
                    self.state.stop(flush=False)
        finally:
            self.nudges.stop()
            self.lease.release()
        return 0

    def _wait_for_lease(self) -> bool:
        announced = False
        while not self.stopping.is_set():
            try:
                if self.lease.try_acquire():
                    log.info("supervisor %s holds the lease", self.report.supervisor_id)
                    return True
                reason = "another supervisor holds the lease"
            except Error as exc:
                reason = f"cannot reach the database for the lease ({exc})"
            if not announced:
                log.info("%s; standing by", reason)
                announced = True
            self.stopping.wait(LEASE_RETRY)
        return False

    def _serve(self) -> None:
        self.life.stop_stale()
        self._load_done_counters()
        self.report.forget()
        while not self.stopping.is_set():
            self.wake.clear()
            try:
                self.tick()
            except LeaseLost:
                raise
            except DatabaseError as exc:
                self.report.db_unavailable(exc)
            except Exception:
                log.exception("supervisor tick failed; trying again")
            self.wake.wait(self._sleep_time())
        self._shutdown()

    def _shutdown(self) -> None:
        log.info("supervisor stopping")
        enabled = self.desired is not None and self.desired.enabled
        if self.desired is not None and self.life.node is not None:
            # A clean stop releases an ephemeral node (a crash leaves it to control).
            self.life.node.release_if_ephemeral(effective_config(self.desired))
        self._stop_node()
        # Enabled but no supervisor: "stopping" plus a stale heartbeat tells the page.
        if not enabled:
            self.report.observe(phase=Phase.DISABLED)
        self.report.observe(socks5_addr="", http_proxy_addr="", next_retry_at=None)
        self.report.write_log_tail(force=True)

    # --- one pass ------------------------------------------------------------

    def tick(self) -> None:
        self.report.heartbeat()
        desired = self._load_desired()
        if desired is None:
            return
        if desired.reset_generation > self.reset_done:
            self._reset(desired)
        if desired.retry_generation > self.retry_done:
            self._retry(desired)
        if desired.enabled != self.was_enabled:
            self.was_enabled = desired.enabled
            turned = "on" if desired.enabled else "off"
            record(
                Kind.ENABLED if desired.enabled else Kind.DISABLED, f"Tailscale turned {turned}."
            )
        if desired.enabled:
            applied = self._ensure_running(desired)
        else:
            self._disable()
            applied = True
        self.report.write_log_tail()
        if applied:
            self.report.observe(applied_generation=desired.generation)
        # The counters again: a write lost to a database outage is retried here.
        self.report.observe(
            reset_done_generation=self.reset_done, retry_done_generation=self.retry_done
        )

    def _ensure_running(self, desired: DesiredConfig) -> bool:
        """True once the desired config is applied (or nothing more can be done)."""
        life = self.life
        if life.failure is not None:
            return True
        node = life.node
        if node is not None and not node.alive():
            code = node.child.returncode
            record(Kind.EXITED, f"tailscaled exited with code {code}.", code=code)
            life.died(f"tailscaled exited with code {code}")
            return False
        config = life.child_config(effective_config(desired).outbound_proxy_addr)
        if node is not None and config is not None and node.config != config:
            log.info("tailscaled's flags changed; restarting it")
            life.stop()
            node = None
        if node is None:
            if config is None:
                # Only a start needs the binary: a running child is left alone.
                self.report.observe(
                    phase=Phase.UNAVAILABLE,
                    last_error=UNAVAILABLE_MESSAGE.format(bin=settings.TAILSCALED_BIN),
                )
                return True
            if life.restart_pending():
                return False
            node = life.start(config)
            if node is None:
                return False
        status = life.check_health(node)
        if life.node is not node or not node.alive():
            return False
        return self._reconcile_node(node, desired, status)

    # --- talking to the node -------------------------------------------------

    def _reconcile_node(self, node: NodeRun, desired: DesiredConfig, status: Status | None) -> bool:
        """One look at the node: log in, patch prefs, record what it reports."""
        fields: dict[str, Any] = {}
        refused = ""
        for notify in node.take_notifies():
            fields |= reconcile.observed_from_notify(notify)
        try:
            fields |= node.reconcile(effective_config(desired), status)
        except LocalAPITimeout as exc:
            log.warning("%s; checking its health now", exc)
            node.health_due_at = 0.0
            self.wake.set()
            return False
        except LocalAPIError as exc:
            log.warning("tailscaled LocalAPI call failed: %s", redact(str(exc)))
            return False
        except LoginKeyRefused as exc:
            fields |= {name: v for name, v in exc.observed.items() if name != "phase"}
            refused = str(exc)
        finally:
            self.report.observe(**fields)
        if refused:
            # The node stays as it was (no `start`, no login link) until Retry.
            self.life.fail(refused)
        return True

    # --- actions: disable, reset, retry --------------------------------------

    def _stop_node(self) -> None:
        """Stop tailscaled (shown as stopping meanwhile) and store its last state."""
        if self.life.node is not None:
            self.report.observe(phase=Phase.STOPPING)
        self.life.stop()
        self.state.stop(flush=True)

    def _disable(self) -> None:
        self._stop_node()
        self.life.clear_failure()
        self.report.observe(
            phase=Phase.DISABLED,
            backend_state="",
            auth_url="",
            restart_count=0,
            next_retry_at=None,
            socks5_addr="",
            http_proxy_addr="",
        )

    def _reset(self, desired: DesiredConfig) -> None:
        """Log the node out (best effort), then forget it everywhere. Idempotent."""
        log.info("resetting the Tailscale node")
        self.report.observe(phase=Phase.STOPPING)
        self.life.log_out()
        self.life.stop()
        self.state.wipe()
        self.life.clear_failure()
        self.reset_done = desired.reset_generation
        # A reset turns Tailscale off too: one event says both.
        self.was_enabled = desired.enabled
        record(Kind.RESET, "Reset: the node was logged out and its identity wiped.")
        self.report.observe(
            **reconcile.IDENTITY_FIELDS,
            phase=Phase.DISABLED,
            last_error="",
            restart_count=0,
            next_retry_at=None,
            reset_done_generation=desired.reset_generation,
        )

    def _retry(self, desired: DesiredConfig) -> None:
        """Start now: cancel a pending backoff and reset the counter (never a second child)."""
        log.info("retry requested")
        self.retry_done = desired.retry_generation
        if self.life.clear_failure():
            self.report.observe(restart_count=0, next_retry_at=None, last_error="")
        if self.life.node is not None:
            self.life.node.forget_logins()
        self.report.observe(retry_done_generation=desired.retry_generation)

    # --- the database --------------------------------------------------------

    def _load_desired(self) -> DesiredConfig | None:
        try:
            desired = DesiredConfig.load()
            # A database error is not a lost lease: while our session may still
            # hold the lock, no other supervisor can have it either.
            held = self.lease.keep()
        except Error as exc:
            self.report.db_unavailable(exc)
            return self.desired  # keep tailscaled as it was last asked to be
        if not held:
            raise LeaseLost()
        self.report.db_reachable()
        self.desired = desired
        return desired

    def _load_done_counters(self) -> None:
        while not self.stopping.is_set():
            try:
                observed = ObservedStatus.load()
                self.reset_done = observed.reset_done_generation
                self.retry_done = observed.retry_done_generation
                # An enable or disable made while no supervisor ran is still news.
                self.was_enabled = observed.phase != Phase.DISABLED
                return
            except DatabaseError as exc:
                self.report.db_unavailable(exc)
                self.stopping.wait(settings.TAILSCALE_POLL_INTERVAL)

    def _sleep_time(self) -> float:
        waits = [settings.TAILSCALE_POLL_INTERVAL, self.report.heartbeat_due_in()]
        if (next_wake := self.life.next_wake()) is not None:
            waits.append(next_wake - time.monotonic())
        if (log_due := self.report.log_tail_due_in()) is not None:
            waits.append(log_due)
        return max(0.0, min(waits))
