"""With Redis unreachable, tailscaled stays up and changes still apply by polling."""

import socket

import pytest

from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.simulator.harness import wait_for
from tests.supervisor.helpers import (
    TIMEOUT,
    join_interactively,
    observed,
    tailscaled_pid,
    wait_applied,
)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_a_change_applies_by_polling_while_redis_is_down(start_supervisor, fake_control):
    supervisor = start_supervisor(
        REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0", TAILSCALE_POLL_INTERVAL="0.5"
    )
    join_interactively(fake_control, supervisor)
    pid = tailscaled_pid(supervisor)

    desired = DesiredConfig.update(hostname="polled")
    wait_applied(desired.generation, supervisor)
    wait_for(lambda: observed().hostname == "polled", timeout=TIMEOUT)

    assert observed().phase == "running"
    assert tailscaled_pid(supervisor) == pid
    assert supervisor.spawn_count() == 1
    assert "nudge listener lost Redis" in supervisor.log_text()
