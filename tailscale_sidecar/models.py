"""The three things the sidecar keeps in the database.

- DesiredConfig: what the owner asked for. Only the web (views, API) writes it.
- ObservedStatus: what the supervisor sees. Only the supervisor writes it.
- StoredState: encrypted versions of tailscaled's state file (the node identity).

Both singletons live at pk=1. Commands that are actions rather than states
(reset, retry) are counters: the web bumps `reset_generation`, the supervisor
records the generation it has carried out, so a lost wake-up only delays them.
"""

from __future__ import annotations

import secrets
import string
from typing import Self

from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone


class Phase(models.TextChoices):
    DISABLED = "disabled", "Disabled"
    STARTING = "starting", "Starting"
    NEEDS_LOGIN = "needs_login", "Waiting for authorization"
    NEEDS_MACHINE_AUTH = "needs_machine_auth", "Waiting for device approval"
    RUNNING = "running", "Connected"
    STOPPING = "stopping", "Stopping"
    RESTARTING = "restarting", "Restarting"
    FAILED = "failed", "Failed"
    UNAVAILABLE = "unavailable", "Unavailable"

    @property
    def transitional(self) -> bool:
        """About to change by itself: the page polls fast through it."""
        return self in _TRANSITIONAL

    @property
    def active(self) -> bool:
        """tailscaled is (or is being) started for this phase: disabling means stopping."""
        return self in _ACTIVE

    @property
    def degrades_health(self) -> bool:
        """An enabled node in this phase cannot work: `/api/v1/health` says degraded."""
        return self in _UNHEALTHY


_TRANSITIONAL = frozenset(
    {Phase.STARTING, Phase.STOPPING, Phase.NEEDS_LOGIN, Phase.NEEDS_MACHINE_AUTH, Phase.RESTARTING}
)
_ACTIVE = frozenset(
    {Phase.STARTING, Phase.NEEDS_LOGIN, Phase.NEEDS_MACHINE_AUTH, Phase.RUNNING, Phase.RESTARTING}
)
_UNHEALTHY = frozenset({Phase.FAILED, Phase.UNAVAILABLE})

SINGLETON_PK = 1


class Singleton(models.Model):
    """A table of one row at pk=1, created on first read.

    Writes are single UPDATE statements (no read-modify-write race between the
    web and the supervisor), so `updated_at` is set here: `auto_now` only acts
    on Model.save().
    """

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @classmethod
    def load(cls) -> Self:
        obj, _ = cls._default_manager.get_or_create(pk=SINGLETON_PK)
        return obj

    @classmethod
    def _update_row(cls, **fields: object) -> None:
        cls._default_manager.get_or_create(pk=SINGLETON_PK)
        cls._default_manager.filter(pk=SINGLETON_PK).update(updated_at=timezone.now(), **fields)


def new_instance_id() -> str:
    """A short random id for the `{id}` hostname placeholder (6 of a-z0-9)."""
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(6))


class DesiredConfig(Singleton):
    enabled = models.BooleanField(default=False)
    hostname = models.CharField(max_length=63, blank=True)  # a name or a template (hostname.py)
    # Made once, with the row: `{id}` in a hostname template; kept by Reset too.
    instance_id = models.CharField(max_length=16, default=new_instance_id, editable=False)
    control_url = models.URLField(blank=True, help_text="Empty means Tailscale's own server.")
    advertise_tags = models.JSONField(default=list, blank=True)
    # Encrypted with the state cipher (tailscale_sidecar.state.crypto); never shown back.
    auth_key_encrypted = models.TextField(blank=True)
    # None: not chosen, TAILSCALE_OUTBOUND_PROXY decides (see config.py).
    outbound_proxy = models.BooleanField(null=True, default=None)
    # None: not chosen, TAILSCALE_HTTPS decides. The HTTPS front door on the node's name.
    https = models.BooleanField(null=True, default=None)
    # The exit node the app's outbound traffic uses: a peer's stable node ID ("" = none).
    exit_node = models.CharField(max_length=64, blank=True)
    exit_node_allow_lan = models.BooleanField(default=False)
    # Tailnet login names signed in without a password (plus TAILSCALE_TRUSTED_LOGINS).
    # The web alone reads it: changing it moves no generation.
    trusted_logins = models.JSONField(default=list, blank=True)
    # Bumped on every change so the supervisor can tell what it has applied.
    generation = models.PositiveBigIntegerField(default=0)
    reset_generation = models.PositiveBigIntegerField(default=0)
    retry_generation = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "desired Tailscale configuration"

    def __str__(self) -> str:
        return f"desired(enabled={self.enabled}, hostname={self.hostname!r}, gen={self.generation})"

    @classmethod
    def update(cls, **fields: object) -> DesiredConfig:
        """Change fields and bump the generation in one transaction."""
        with transaction.atomic():
            cls._update_row(generation=F("generation") + 1, **fields)
        return cls.load()

    @classmethod
    def store_reencrypted_auth_key(cls, ciphertext: str) -> None:
        """The same auth key under another state key: nothing to apply, so no new generation."""
        cls._update_row(auth_key_encrypted=ciphertext)

    @classmethod
    def set_trusted_logins(cls, logins: list[str]) -> None:
        """Only the web reads them, so no new generation (the supervisor has nothing to do)."""
        cls._update_row(trusted_logins=logins)

    @classmethod
    def bump(cls, counter: str) -> DesiredConfig:
        """Ask for an action (`reset_generation` or `retry_generation`)."""
        if counter not in ("reset_generation", "retry_generation"):
            raise ValueError(f"unknown action counter {counter!r}")
        with transaction.atomic():
            cls._update_row(**{counter: F(counter) + 1, "generation": F("generation") + 1})
        return cls.load()


class ObservedStatus(Singleton):
    phase = models.CharField(max_length=32, choices=Phase.choices, default=Phase.DISABLED)
    backend_state = models.CharField(max_length=32, blank=True)
    auth_url = models.TextField(blank=True)
    hostname = models.CharField(max_length=255, blank=True)
    node_id = models.CharField(max_length=64, blank=True)
    tailnet_ips = models.JSONField(default=list, blank=True)
    dns_name = models.CharField(max_length=255, blank=True)
    tailnet_name = models.CharField(max_length=255, blank=True)
    key_expiry = models.DateTimeField(null=True, blank=True)
    health = models.JSONField(default=list, blank=True)
    restart_count = models.PositiveIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_health_check_at = models.DateTimeField(null=True, blank=True)
    tailscaled_version = models.CharField(max_length=128, blank=True)
    # Redacted recent tailscaled output, newest last (bounded by the supervisor).
    log_tail = models.JSONField(default=list, blank=True)
    # Loopback proxy addresses while the outbound proxy is on ("127.0.0.1:1055").
    socks5_addr = models.CharField(max_length=64, blank=True)
    http_proxy_addr = models.CharField(max_length=64, blank=True)
    # The names the tailnet can get certificates for (empty: HTTPS is off in the tailnet).
    cert_domains = models.JSONField(default=list, blank=True)
    # https://<name>/ once tailscaled's serve config sends it to the app; why not, if not.
    https_url = models.CharField(max_length=300, blank=True)
    https_error = models.TextField(blank=True)
    # Peers that offer an exit node: [{"id", "name", "dns_name", "ips", "online"}].
    exit_nodes = models.JSONField(default=list, blank=True)
    # The exit node tailscaled uses now: {"id", "online"} ({} = none).
    exit_node_status = models.JSONField(default=dict, blank=True)
    # Why traffic does not get through the chosen exit node ("" = it does, or none chosen).
    exit_node_error = models.TextField(blank=True)
    # What the supervisor has carried out (see DesiredConfig).
    applied_generation = models.PositiveBigIntegerField(default=0)
    reset_done_generation = models.PositiveBigIntegerField(default=0)
    retry_done_generation = models.PositiveBigIntegerField(default=0)
    # Who holds the lease, and when it last said so: the page warns when stale.
    supervisor_id = models.CharField(max_length=128, blank=True)
    supervisor_heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "observed Tailscale status"

    def __str__(self) -> str:
        return f"observed(phase={self.phase}, backend={self.backend_state or '-'})"

    @classmethod
    def write(cls, **fields: object) -> None:
        """Set fields in one UPDATE; only the supervisor calls this."""
        cls._update_row(**fields)


class StoredState(models.Model):
    """One encrypted version of tailscaled's state file. The newest row wins."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # SHA-256 of the plaintext: lets the supervisor skip unchanged rewrites
    # without decrypting, and proves what was stored.
    sha256 = models.CharField(max_length=64)
    # A Fernet token (urlsafe base64 text) from tailscale_sidecar.state.crypto.
    ciphertext = models.TextField()
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = ["created_at", "id"]

    def __str__(self) -> str:
        return f"state {self.sha256[:12]} ({self.size} bytes, {self.created_at:%Y-%m-%d %H:%M:%S})"

    @classmethod
    def latest_version(cls) -> StoredState | None:
        return cls.objects.order_by("-created_at", "-id").first()


class ApiToken(models.Model):
    """A bearer token for automation. Only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="First characters, to tell tokens apart.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class NodeEvent(models.Model):
    """One entry of the node's timeline (tailscale_sidecar.events); only the supervisor writes."""

    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=32)
    message = models.TextField()
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M:%S}: {self.message}"
