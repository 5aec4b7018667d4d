"""The supervisor loop: make tailscaled match DesiredConfig, report ObservedStatus.

One thread owns every decision. It wakes on a nudge, a child exit, an IPN bus
message, a poll tick or a health tick, and each time compares the desired
configuration with reality (level-triggered), so a lost wake-up only delays
a change. Helper threads (bus, child waiter, nudge listener, state watcher)
only report and set `wake`. See docs/supervisor.md.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, Error, connections
from django.utils import timezone

from tailscale_sidecar.config import effective_config
from tailscale_sidecar.localapi import (
    BackendState,
    LocalAPIClient,
    LocalAPIError,
    LocalAPITimeout,
    Notify,
    Status,
)
from tailscale_sidecar.models import DesiredConfig, ObservedStatus, Phase, StoredState
from tailscale_sidecar.nudge import NudgeListener
from tailscale_sidecar.state.crypto import StateKeyError
from tailscale_sidecar.state.store import restore_state_file
from tailscale_sidecar.state.watcher import StateDirWatcher
from tailscale_sidecar.supervisor import reconcile
from tailscale_sidecar.supervisor.backoff import Backoff
from tailscale_sidecar.supervisor.bus import BusWorker
from tailscale_sidecar.supervisor.child import (
    PIDFILE_NAME,
    ChildConfig,
    Tailscaled,
    private_dir,
    resolve_binary,
    socket_path_for,
    stop_stale_tailscaled,
)
from tailscale_sidecar.supervisor.health import probe
from tailscale_sidecar.supervisor.lease import make_lease
from tailscale_sidecar.supervisor.logbuffer import LogBuffer
from tailscale_sidecar.supervisor.redact import redact

log = logging.getLogger(__name__)

READY_TIMEOUT = 20.0
LOGOUT_TIMEOUT = 10.0
LEASE_RETRY = 1.0
LOG_TAIL_WRITE_INTERVAL = 1.0
HEARTBEAT_INTERVAL = 1.0
FAILED_OUTPUT_LINES = 15
# A node with its identity that sits in NoState this long cannot reach control.
CONTROL_UNREACHABLE_AFTER = 10.0

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
        self.supervisor_id = f"{socket.gethostname()}:{os.getpid()}"
        self.lease = make_lease()
        self.logs = LogBuffer()
        self.backoff = Backoff(settings.TAILSCALE_BACKOFF, settings.TAILSCALE_STABLE_AFTER)
        self.run_dir = private_dir(Path(settings.TAILSCALE_RUN_DIR))
        self.state_dir = private_dir(Path(settings.TAILSCALE_STATE_DIR))
        self.logs_dir = private_dir(self.run_dir / "logs")
        self.pidfile = self.run_dir / PIDFILE_NAME
        self.socket_path = socket_path_for(self.run_dir)

        self.child: Tailscaled | None = None
        self.client: LocalAPIClient | None = None
        self.bus: BusWorker | None = None
        self.watcher: StateDirWatcher | None = None
        self.nudges = NudgeListener(self.wake)

        self.desired: DesiredConfig | None = None  # the last one read from the DB
        self.failure: str | None = None  # sticky until Retry or disable/enable
        self.retry_at: float | None = None  # monotonic time of the pending restart
        self.next_health_at = 0.0
        self.login_calls: set[str] = set()  # LocalAPI login calls made for this run
        self.login_calls_for: tuple[int, int] | None = None
        self.nostate_since: float | None = None  # monotonic time the node entered NoState
        self.reset_done = 0
        self.retry_done = 0

        self._observed: dict[str, Any] = {}
        self._observed_lock = threading.Lock()
        self._last_heartbeat = 0.0
        self._log_version_written = 0
        self._last_log_write = 0.0
        self._db_error_logged = False

    # --- lifecycle -----------------------------------------------------------

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
                    log.error(
                        "lost the supervisor lease to %s; stopping tailscaled and standing by",
                        self.lease.holder or "another supervisor",
                    )
                    self.nudges.unbind()
                    self._stop_child()
                    # Not flushed: the other supervisor's state is the node's now.
                    self._stop_watcher(flush=False)
        finally:
            self.nudges.stop()
            self.lease.release()
        return 0

    def _wait_for_lease(self) -> bool:
        announced = False
        while not self.stopping.is_set():
            try:
                if self.lease.try_acquire():
                    log.info("supervisor %s holds the lease", self.supervisor_id)
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
        stop_stale_tailscaled(self.pidfile, resolve_binary(settings.TAILSCALED_BIN))
        self._load_done_counters()
        self._observed.clear()
        while not self.stopping.is_set():
            self.wake.clear()
            try:
                self.tick()
            except LeaseLost:
                raise
            except DatabaseError as exc:
                self._db_unavailable(exc)
            except Exception:
                log.exception("supervisor tick failed; trying again")
            self.wake.wait(self._sleep_time())
        self._shutdown()

    def _shutdown(self) -> None:
        log.info("supervisor stopping")
        enabled = self.desired is not None and self.desired.enabled
        had_child = self.child is not None
        if had_child:
            self._observe(phase=Phase.STOPPING)
        self._stop_child()
        self._stop_watcher(flush=True)
        # Enabled but no supervisor: "stopping" plus a stale heartbeat tells the page.
        if not enabled:
            self._observe(phase=Phase.DISABLED)
        self._observe(socks5_addr="", http_proxy_addr="", next_retry_at=None)
        self._write_log_tail(force=True)

    # --- one pass ------------------------------------------------------------

    def tick(self) -> None:
        self._heartbeat()
        desired = self._load_desired()
        if desired is None:
            return
        if desired.reset_generation > self.reset_done:
            self._reset(desired)
        if desired.retry_generation > self.retry_done:
            self._retry(desired)
        if desired.enabled:
            applied = self._ensure_running(desired)
        else:
            self._disable()
            applied = True
        self._write_log_tail()
        if applied:
            self._observe(applied_generation=desired.generation)
        # The counters again: a write lost to a database outage is retried here.
        self._observe(reset_done_generation=self.reset_done, retry_done_generation=self.retry_done)

    def _ensure_running(self, desired: DesiredConfig) -> bool:
        """True once the desired config is applied (or nothing more can be done)."""
        if self.failure is not None:
            return True
        if self.child is not None and not self.child.alive():
            self._child_died(f"tailscaled exited with code {self.child.returncode}")
            return False
        config = self._child_config(desired)
        if self.child is not None and config is not None and self.child.config != config:
            log.info("tailscaled's flags changed; restarting it")
            self._stop_child()
        if self.child is None:
            if config is None:
                # Only a start needs the binary: a running child is left alone.
                self._observe(
                    phase=Phase.UNAVAILABLE,
                    last_error=UNAVAILABLE_MESSAGE.format(bin=settings.TAILSCALED_BIN),
                )
                return True
            if self.retry_at is not None and time.monotonic() < self.retry_at:
                return False
            self.retry_at = None
            if not self._start_child(config):
                return False
        self._check_health_if_due()
        if self.child is None or not self.child.alive():
            return False
        return self._reconcile_node(desired)

    def _child_config(self, desired: DesiredConfig) -> ChildConfig | None:
        """How tailscaled should be started now; None when the binary is missing."""
        binary = resolve_binary(settings.TAILSCALED_BIN)
        if binary is None:
            return None
        return ChildConfig(
            binary=binary,
            state_dir=self.state_dir,
            socket_path=self.socket_path,
            logs_dir=self.logs_dir,
            proxy_addr=effective_config(desired).outbound_proxy_addr,
        )

    # --- starting and stopping tailscaled ----------------------------------

    def _start_child(self, config: ChildConfig) -> bool:
        """Restore the identity, spawn tailscaled and wait until it serves."""
        self._observe(phase=Phase.STARTING, next_retry_at=None)
        if not self._restore_state():
            return False
        child = Tailscaled(config, self.logs, on_exit=self.wake.set, pidfile=self.pidfile)
        try:
            child.start()
        except OSError as exc:
            self.logs.append(f"cannot start tailscaled: {exc}")
            self._child_died(f"cannot start tailscaled: {exc}")
            return False
        self.child = child
        self.login_calls.clear()
        self.nostate_since = None
        self.client = LocalAPIClient(config.socket_path, timeout=settings.TAILSCALE_PROBE_TIMEOUT)
        if not self._wait_until_ready(child):
            if child.alive() and not self.stopping.is_set():
                self.logs.append(f"tailscaled did not get ready within {READY_TIMEOUT:g}s")
                child.kill()
            return False
        # Back and answering: the crash that led to this start is history.
        self._observe(last_error="")
        self.bus = BusWorker(str(config.socket_path), self._on_notify)
        self.bus.start()
        self.next_health_at = time.monotonic() + settings.TAILSCALE_HEALTHCHECK_INTERVAL
        return True

    def _proxy_fields(self) -> dict[str, str]:
        """Where the outbound proxy listens: as logged (port 0 picks one), else as configured."""
        child = self.child
        if child is None or not child.config.proxy_addr:
            return {"socks5_addr": "", "http_proxy_addr": ""}
        return {
            "socks5_addr": child.proxy_addrs.get("SOCKS5", child.config.proxy_addr),
            "http_proxy_addr": child.proxy_addrs.get("HTTP proxy", child.config.proxy_addr),
        }

    def _restore_state(self) -> bool:
        """Put the DB's newest state on disk (the DB wins); False to hold the start."""
        if self.watcher is not None and not self._flush_watcher():
            # Our own latest change is newer than anything in the DB: keep it.
            log.warning("starting from the state file on disk: its latest change is not stored yet")
            return True
        try:
            restore_state_file(self.state_dir / "tailscaled.state")
        except StateKeyError as exc:
            self._fail(f"Cannot decrypt the stored Tailscale state: {exc}")
            return False
        except DatabaseError as exc:
            if not (self.state_dir / "tailscaled.state").exists():
                self._db_unavailable(exc)
                return False
            log.warning("database unreachable; starting from the state file on disk: %s", exc)
        if self.watcher is None:
            self.watcher = StateDirWatcher(self.state_dir / "tailscaled.state")
            self.watcher.start()
        return True

    def _wait_until_ready(self, child: Tailscaled) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline and child.alive() and not self.stopping.is_set():
            try:
                if self.client is not None and self.client.server_status():
                    return True
            except LocalAPIError:
                pass  # the socket is not there yet
            self.stopping.wait(0.05)
        return False

    def _stop_child(self) -> None:
        """Stop tailscaled on purpose (not counted as a crash)."""
        if self.bus is not None:
            self.bus.stop()
            self.bus = None
        if self.child is not None:
            self.child.stop()
            log.info("stopped tailscaled pid=%d", self.child.pid)
            self.child = None
        if self.client is not None:
            self.client.close()
            self.client = None

    def _child_died(self, reason: str) -> None:
        """An unplanned exit: schedule the next restart, or give up."""
        if self.bus is not None:
            self.bus.stop()
            self.bus = None
        if self.child is not None:
            self.child.kill()  # reaps it and closes the parent-death pipe
            self.child = None
        if self.client is not None:
            self.client.close()
            self.client = None
        log.warning("%s", reason)
        delay = self.backoff.next_delay()
        if delay is None:
            output = "\n".join(self.logs.lines(FAILED_OUTPUT_LINES))
            self._fail(
                f"{reason}; gave up after {len(self.backoff.delays)} restarts. "
                f"Press Retry once the cause is fixed. Last output:\n{output}"
            )
            return
        self.retry_at = time.monotonic() + delay
        self._observe(
            phase=Phase.RESTARTING,
            restart_count=self.backoff.attempts,
            next_retry_at=timezone.now() + timedelta(seconds=delay),
            last_error=f"{reason}; restarting in {delay:g}s",
            socks5_addr="",
            http_proxy_addr="",
        )

    def _fail(self, message: str) -> None:
        self.failure = message
        self.retry_at = None
        log.error("%s", message)
        self._observe(
            phase=Phase.FAILED,
            last_error=message,
            restart_count=self.backoff.attempts,
            next_retry_at=None,
        )

    def _clear_failure(self) -> None:
        self.failure = None
        self.retry_at = None
        self.backoff.reset()

    # --- talking to the node -------------------------------------------------

    def _check_health_if_due(self) -> None:
        if self.child is None or time.monotonic() < self.next_health_at:
            return
        self.next_health_at = time.monotonic() + settings.TAILSCALE_HEALTHCHECK_INTERVAL
        result = probe(self.child.pid, str(self.socket_path), settings.TAILSCALE_PROBE_TIMEOUT)
        self._observe(last_health_check_at=timezone.now())
        if result.hung:
            self.backoff.note_unhealthy()
            self.logs.append(f"health check failed: {result.reason}; killing tailscaled")
            self._child_died(f"health check failed: {result.reason}")
        elif result.healthy and self.backoff.note_healthy():
            self._observe(restart_count=0)

    def _reconcile_node(self, desired: DesiredConfig) -> bool:
        """One look at the node: log in, patch prefs, record what it reports."""
        assert self.client is not None and self.child is not None
        try:
            status = self.client.status()
            state = status.backend_state
            if state == BackendState.NeedsLogin:
                self._log_in(desired, have_node_key=status.have_node_key)
            else:
                # A later NeedsLogin (key expired, logged out) is a new login.
                self.login_calls.clear()
            if state in (BackendState.Running, BackendState.Starting, BackendState.Stopped):
                self._apply_prefs(desired)
        except LocalAPITimeout as exc:
            log.warning("%s; checking its health now", exc)
            self.next_health_at = 0.0
            self.wake.set()
            return False
        except LocalAPIError as exc:
            log.warning("tailscaled LocalAPI call failed: %s", redact(str(exc)))
            return False
        fields = reconcile.observed_from_status(status) | self._proxy_fields()
        if state == BackendState.NeedsLogin and not status.auth_url:
            # The URL arrives asynchronously (the bus may already have written it).
            del fields["auth_url"]
        fields["phase"] = reconcile.PHASE_FOR_STATE.get(state, Phase.STARTING)
        if state == BackendState.Running:
            fields["last_error"] = ""
        elif self._control_unreachable(status):
            fields["last_error"] = reconcile.control_unreachable_message(effective_config(desired))
        self._observe(**fields)
        return True

    def _control_unreachable(self, status: Status) -> bool:
        """A node with its identity stuck in NoState: tailscaled waits for control."""
        if status.backend_state != BackendState.NoState or not status.have_node_key:
            self.nostate_since = None
            return False
        now = time.monotonic()
        if self.nostate_since is None:
            self.nostate_since = now
        return now - self.nostate_since >= CONTROL_UNREACHABLE_AFTER

    def _log_in(self, desired: DesiredConfig, have_node_key: bool) -> None:
        """A fresh node gets full prefs and the auth key; an expired one a re-auth URL."""
        key = (self.child.pid if self.child else 0, desired.generation)
        if self.login_calls_for != key:
            self.login_calls.clear()
            self.login_calls_for = key
        if not have_node_key and "start" not in self.login_calls:
            config = effective_config(desired)
            self.client.start(reconcile.full_prefs(config), reconcile.auth_key(config))
            self.login_calls.add("start")
        if "login" not in self.login_calls:
            self.client.login_interactive()
            self.login_calls.add("login")

    def _apply_prefs(self, desired: DesiredConfig) -> None:
        current = self.client.prefs()
        config = effective_config(desired)
        if reconcile.control_url_changed(current, config):
            log.info("control URL changed; restarting the backend with the new prefs")
            self.client.start(reconcile.full_prefs(config), reconcile.auth_key(config))
            self.login_calls = {"start"}
            self.login_calls_for = (self.child.pid, desired.generation)
            return
        changes = reconcile.prefs_patch(current, config)
        if changes:
            log.info("updating tailscaled prefs: %s", ", ".join(sorted(changes)))
            self.client.patch_prefs(changes)

    def _on_notify(self, notify: Notify) -> None:
        """Bus thread: record what the page must see at once, then wake the loop."""
        fields: dict[str, Any] = {}
        if notify.state is not None:
            fields["backend_state"] = notify.state.value
        if notify.browse_to_url:
            fields.update(auth_url=notify.browse_to_url, phase=Phase.NEEDS_LOGIN)
        if notify.login_finished:
            fields["auth_url"] = ""
        if notify.err_message:
            fields["last_error"] = redact(notify.err_message)
        if fields:
            self._observe(**fields)
        self.wake.set()

    # --- actions: disable, reset, retry --------------------------------------

    def _disable(self) -> None:
        if self.child is not None:
            self._observe(phase=Phase.STOPPING)
        self._stop_child()
        self._stop_watcher(flush=True)
        self._clear_failure()
        self._observe(
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
        self._observe(phase=Phase.STOPPING)
        self._log_out()
        self._stop_child()
        self._stop_watcher(flush=False)
        shutil.rmtree(self.state_dir, ignore_errors=True)
        private_dir(self.state_dir)
        StoredState.objects.all().delete()
        self._clear_failure()
        self.reset_done = desired.reset_generation
        self._observe(
            **reconcile.IDENTITY_FIELDS,
            phase=Phase.DISABLED,
            last_error="",
            restart_count=0,
            next_retry_at=None,
            reset_done_generation=desired.reset_generation,
        )

    def _log_out(self) -> None:
        """Expire the node at control so it leaves the admin console."""
        if (self.child is None or not self.child.alive()) and not self._start_for_logout():
            return
        try:
            self.client.logout(timeout=LOGOUT_TIMEOUT)
            log.info("logged the node out of control")
        except LocalAPIError as exc:
            log.warning("logout failed (the node stays in the admin console): %s", exc)

    def _start_for_logout(self) -> bool:
        """A stopped node is started briefly so it can log out itself."""
        binary = resolve_binary(settings.TAILSCALED_BIN)
        has_state = (self.state_dir / "tailscaled.state").exists() or StoredState.objects.exists()
        if binary is None or not has_state:
            return False
        config = ChildConfig(binary, self.state_dir, self.socket_path, self.logs_dir)
        return self._start_child(config)

    def _retry(self, desired: DesiredConfig) -> None:
        """Start now: cancel a pending backoff and reset the counter (never a second child)."""
        log.info("retry requested")
        self.retry_done = desired.retry_generation
        if self.failure is not None or self.retry_at is not None:
            self._clear_failure()
            self._observe(restart_count=0, next_retry_at=None, last_error="")
        self._observe(retry_done_generation=desired.retry_generation)

    # --- the database --------------------------------------------------------

    def _load_desired(self) -> DesiredConfig | None:
        try:
            desired = DesiredConfig.load()
            # A database error is not a lost lease: while our session may still
            # hold the lock, no other supervisor can have it either.
            held = self.lease.keep()
        except Error as exc:
            self._db_unavailable(exc)
            return self.desired  # keep tailscaled as it was last asked to be
        if not held:
            raise LeaseLost()
        if self._db_error_logged:
            log.info("database reachable again")
            self._db_error_logged = False
        self.desired = desired
        return desired

    def _load_done_counters(self) -> None:
        while not self.stopping.is_set():
            try:
                observed = ObservedStatus.load()
                self.reset_done = observed.reset_done_generation
                self.retry_done = observed.retry_done_generation
                return
            except DatabaseError as exc:
                self._db_unavailable(exc)
                self.stopping.wait(settings.TAILSCALE_POLL_INTERVAL)

    def _observe(self, **fields: Any) -> None:
        """Write the fields that changed since our last write (any thread)."""
        with self._observed_lock:
            changed = {k: v for k, v in fields.items() if self._observed.get(k, ...) != v}
            if not changed:
                return
            try:
                ObservedStatus.write(**changed)
            except DatabaseError as exc:
                self._db_unavailable(exc)
                return
            self._observed.update(changed)

    def _heartbeat(self) -> None:
        now = time.monotonic()
        if now - self._last_heartbeat < min(HEARTBEAT_INTERVAL, settings.TAILSCALE_POLL_INTERVAL):
            return
        self._last_heartbeat = now
        try:
            ObservedStatus.write(
                supervisor_id=self.supervisor_id, supervisor_heartbeat_at=timezone.now()
            )
        except DatabaseError as exc:
            self._db_unavailable(exc)

    def _write_log_tail(self, force: bool = False) -> None:
        version = self.logs.version
        now = time.monotonic()
        if version == self._log_version_written:
            return
        if not force and now - self._last_log_write < LOG_TAIL_WRITE_INTERVAL:
            return
        self._last_log_write = now
        self._log_version_written = version
        self._observe(log_tail=self.logs.lines())

    def _db_unavailable(self, exc: Exception) -> None:
        if not self._db_error_logged:
            log.warning("database unavailable (tailscaled keeps running): %s", exc)
            self._db_error_logged = True
        # A broken connection is reopened on the next query.
        connections["default"].close()

    def _flush_watcher(self) -> bool:
        try:
            self.watcher.flush()
        except Exception as exc:
            log.warning("could not store the latest Tailscale state yet: %s", exc)
            return False
        return True

    def _stop_watcher(self, flush: bool) -> None:
        if self.watcher is None:
            return
        if flush:
            self._flush_watcher()
        self.watcher.stop()
        self.watcher = None

    def _sleep_time(self) -> float:
        now = time.monotonic()
        waits = [settings.TAILSCALE_POLL_INTERVAL]
        if self.retry_at is not None:
            waits.append(self.retry_at - now)
        if self.child is not None:
            waits.append(self.next_health_at - now)
        if self.logs.version != self._log_version_written:
            waits.append(LOG_TAIL_WRITE_INTERVAL)
        return max(0.0, min(waits))
