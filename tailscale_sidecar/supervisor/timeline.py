"""Timeline: the events that follow from what the supervisor reports.

Most of what an owner wants in the node's history shows as a change of
ObservedStatus: a login link appears, the phase becomes `running`, a running
node falls back to `needs_login`, the control-unreachable message comes and
goes, the key expiry nears. `StatusReporter` hands every write to `observed()`
with the values it wrote before, so each of these is recorded once, where the
write happens. Events that are decisions rather than observations (a crash, a
restart, giving up, disable, reset, a lost lease) are recorded by the code
that makes them. See tailscale_sidecar.events.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from tailscale_sidecar import reachability
from tailscale_sidecar.events import Kind, record
from tailscale_sidecar.models import Phase
from tailscale_sidecar.supervisor.reconcile import CONTROL_UNREACHABLE_MESSAGE

log = logging.getLogger(__name__)

_UNREACHABLE_PREFIX = CONTROL_UNREACHABLE_MESSAGE.split("(")[0]
# Leaving `running` for these is a disconnect at the node; a crash, a disable
# or a reset has its own event.
_DISCONNECTED_PHASES = (Phase.STARTING, Phase.NEEDS_MACHINE_AUTH)


def _unreachable(error: object) -> bool:
    return isinstance(error, str) and error.startswith(_UNREACHABLE_PREFIX)


class Timeline:
    def __init__(self) -> None:
        self._warned_expiry: datetime | None = None  # the key expiry already warned about

    def observed(self, before: dict[str, Any], after: dict[str, Any]) -> None:
        """Record what a write of ObservedStatus means (`after` = all fields as written now)."""

        def changed(name: str) -> bool:
            return name in after and before.get(name, ...) != after[name]

        phase, was = after.get("phase"), before.get("phase")
        if changed("auth_url") and after["auth_url"]:
            # The link itself carries a login code: it stays out of the history.
            record(Kind.LOGIN_URL, "Tailscale issued a login link: authorize this device.")
        if changed("last_error"):
            if _unreachable(after["last_error"]):
                record(Kind.CONTROL_UNREACHABLE, after["last_error"])
            elif _unreachable(before.get("last_error")):
                record(Kind.CONTROL_REACHABLE, "The coordination server is reachable again.")
        if changed("phase"):
            self._phase_changed(was, phase, after)
        if phase == Phase.RUNNING and (changed("key_expiry") or changed("phase")):
            self._check_expiry(after.get("key_expiry"))

    def _phase_changed(self, was: object, phase: object, after: dict[str, Any]) -> None:
        if was == Phase.RUNNING and phase != Phase.RUNNING:
            # Said, never left to guess: the tailnet URLs stop working now.
            via = reachability.describe(reachability.reachable_via(False, ""))
            log.warning("off the tailnet (%s): the app is now reachable only on %s", phase, via)
        if phase == Phase.RUNNING:
            ips = list(after.get("tailnet_ips") or [])
            name = after.get("dns_name") or after.get("hostname") or "this device"
            record(
                Kind.CONNECTED,
                f"Connected to the tailnet as {name} ({', '.join(ips) or 'no addresses yet'}).",
                ips=ips,
                dns_name=after.get("dns_name") or "",
            )
        elif phase == Phase.NEEDS_LOGIN and after.get("node_id"):
            # NeedsLogin with a node key: the key expired, or the node was logged out.
            record(
                Kind.EXPIRED,
                "The node's key expired or it was logged out at control: log in again.",
            )
        elif was == Phase.RUNNING and phase in _DISCONNECTED_PHASES:
            record(Kind.DISCONNECTED, f"Disconnected from the tailnet (now {phase}).", phase=phase)

    def _check_expiry(self, expiry: datetime | None) -> None:
        if expiry is None or expiry == self._warned_expiry:
            return
        left = expiry - timezone.now()
        if left > timedelta(days=settings.TAILSCALE_KEY_EXPIRY_WARNING_DAYS):
            return
        self._warned_expiry = expiry
        days = max(0.0, left.total_seconds() / 86400)
        record(
            Kind.KEY_EXPIRY_WARNING,
            f"The node key expires in {days:.1f} days ({expiry:%Y-%m-%d %H:%M} UTC): "
            "re-authenticate, or disable key expiry for this device in the admin console.",
            expires_at=expiry.isoformat(),
        )
