"""Lifecycle: start, stop and restart tailscaled, with backoff and the sticky failure.

Owns the current NodeRun (at most one), the restart backoff, the pending
restart time, the failure that holds restarts until Retry or disable/enable,
and the child's directories (state, run, logs, socket, pidfile). Called only
from the loop thread, which decides when.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from tailscale_sidecar import rundir
from tailscale_sidecar.events import Kind, record
from tailscale_sidecar.localapi import LocalAPIError, Status
from tailscale_sidecar.models import Phase
from tailscale_sidecar.state.crypto import StateKeyError
from tailscale_sidecar.supervisor.backoff import Backoff
from tailscale_sidecar.supervisor.child import (
    PIDFILE_NAME,
    ChildConfig,
    private_dir,
    resolve_binary,
    stop_stale_tailscaled,
)
from tailscale_sidecar.supervisor.logbuffer import LogBuffer
from tailscale_sidecar.supervisor.noderun import NodeRun
from tailscale_sidecar.supervisor.report import StatusReporter
from tailscale_sidecar.supervisor.statekeeper import StateKeeper

log = logging.getLogger(__name__)

FAILED_OUTPUT_LINES = 15


class Lifecycle:
    def __init__(
        self,
        report: StatusReporter,
        logs: LogBuffer,
        wake: threading.Event,
        stopping: threading.Event,
    ) -> None:
        self.report = report
        self.logs = logs
        self.wake = wake
        self.stopping = stopping
        run_dir = private_dir(Path(settings.TAILSCALE_RUN_DIR))
        self.state = StateKeeper(private_dir(Path(settings.TAILSCALE_STATE_DIR)))
        self.logs_dir = private_dir(run_dir / "logs")
        self.pidfile = run_dir / PIDFILE_NAME
        self.socket_path = rundir.make_socket_dir(rundir.TAILSCALED_SOCKET)
        self.backoff = Backoff(settings.TAILSCALE_BACKOFF, settings.TAILSCALE_STABLE_AFTER)
        self.node: NodeRun | None = None
        self.failure: str | None = None  # sticky until Retry or disable/enable
        self.retry_at: float | None = None  # monotonic time of the pending restart
        self.restarting: tuple[int, float] | None = None  # (attempt, delay) after a crash

    def child_config(self, proxy_addr: str | None) -> ChildConfig | None:
        """How tailscaled should be started now; None when the binary is missing."""
        binary = resolve_binary(settings.TAILSCALED_BIN)
        if binary is None:
            return None
        return ChildConfig(
            binary, self.state.state_dir, self.socket_path, self.logs_dir, proxy_addr
        )

    def stop_stale(self) -> None:
        """Stop a tailscaled a previous supervisor left running (checked, never by name)."""
        stop_stale_tailscaled(self.pidfile, resolve_binary(settings.TAILSCALED_BIN))

    def restart_pending(self) -> bool:
        """True while a crash's backoff wait has not yet passed."""
        if self.retry_at is not None and time.monotonic() < self.retry_at:
            return True
        self.retry_at = None
        return False

    def start(self, config: ChildConfig) -> NodeRun | None:
        """Restore the identity, spawn tailscaled and wait until it serves."""
        self.report.observe(phase=Phase.STARTING, next_retry_at=None)
        if self.restarting is not None:
            attempt, delay = self.restarting
            self.restarting = None
            message = f"Restarting tailscaled (attempt {attempt}, after {delay:g}s)."
            record(Kind.RESTARTED, message, attempt=attempt, delay=delay)
        if not self._restore_state():
            return None
        node = NodeRun(config, self.logs, self.wake, self.pidfile)
        try:
            ready = node.start(self.stopping, on_wait=self.report.heartbeat)
        except OSError as exc:
            node.client.close()
            self.logs.append(f"cannot start tailscaled: {exc}")
            record(Kind.EXITED, f"tailscaled could not start: {exc}.", code=None)
            self.died(f"cannot start tailscaled: {exc}")
            return None
        # Kept even when not ready: the next tick sees it dead, shutdown stops it.
        self.node = node
        if not ready:
            return None
        # Back and answering: the crash that led to this start is history.
        self.report.observe(last_error="")
        return node

    def _restore_state(self) -> bool:
        """Put the DB's newest state on disk; False to hold the start."""
        try:
            self.state.restore()
        except StateKeyError as exc:
            self.fail(f"Cannot decrypt the stored Tailscale state: {exc}")
            return False
        except DatabaseError as exc:
            self.report.db_unavailable(exc)
            return False
        return True

    def stop(self) -> None:
        """Stop tailscaled on purpose (not counted as a crash)."""
        if self.node is not None:
            self.node.close()
            self.node = None

    def died(self, reason: str) -> None:
        """An unplanned exit: schedule the next restart, or give up."""
        if self.node is not None:
            self.node.close(kill=True)
            self.node = None
        log.warning("%s", reason)
        delay = self.backoff.next_delay()
        if delay is None:
            output = "\n".join(self.logs.lines(FAILED_OUTPUT_LINES))
            restarts = len(self.backoff.delays)
            self.fail(
                f"{reason}; gave up after {restarts} restarts. "
                f"Press Retry once the cause is fixed. Last output:\n{output}"
            )
            record(Kind.GAVE_UP, f"Gave up after {restarts} restarts: {reason}.", restarts=restarts)
            return
        self.retry_at = time.monotonic() + delay
        self.restarting = (self.backoff.attempts, delay)
        self.report.observe(
            phase=Phase.RESTARTING,
            restart_count=self.backoff.attempts,
            next_retry_at=timezone.now() + timedelta(seconds=delay),
            last_error=f"{reason}; restarting in {delay:g}s",
            socks5_addr="",
            http_proxy_addr="",
        )

    def fail(self, message: str) -> None:
        self.failure = message
        self.retry_at = None
        log.error("%s", message)
        self.report.observe(
            phase=Phase.FAILED,
            last_error=message,
            restart_count=self.backoff.attempts,
            next_retry_at=None,
        )

    def clear_failure(self) -> bool:
        """Forget a failure or a pending restart; True if there was one."""
        had = self.failure is not None or self.retry_at is not None
        self.failure = None
        self.retry_at = None
        self.restarting = None
        self.backoff.reset()
        return had

    def check_health(self, node: NodeRun) -> Status | None:
        """Probe when due; returns the status a healthy probe fetched."""
        if not node.health_due():
            return None
        result = node.check_health()
        self.report.observe(last_health_check_at=timezone.now())
        if result.hung:
            record(
                Kind.HUNG, f"tailscaled stopped answering: {result.reason}.", reason=result.reason
            )
            self.backoff.note_unhealthy()
            self.logs.append(f"health check failed: {result.reason}; killing tailscaled")
            self.died(f"health check failed: {result.reason}")
        elif result.healthy and self.backoff.note_healthy():
            self.report.observe(restart_count=0)
        return result.status

    def log_out(self) -> None:
        """Expire the node at control so it leaves the admin console.

        A stopped node is started briefly so it can log out itself.
        """
        node = self.node
        if node is not None and not node.alive():
            node.close(kill=True)
            self.node = node = None
        if node is None:
            config = self.child_config(None)
            if config is None or not self.state.exists():
                return
            node = self.start(config)
            if node is None:
                return
        try:
            node.client.logout()
            log.info("logged the node out of control")
        except LocalAPIError as exc:
            log.warning("logout failed (the node stays in the admin console): %s", exc)

    def next_wake(self) -> float | None:
        """Monotonic time of the next restart or health check, if any."""
        times = [] if self.retry_at is None else [self.retry_at]
        if self.node is not None:
            times.append(self.node.health_due_at)
        return min(times, default=None)
