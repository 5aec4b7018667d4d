"""Supervisor tests: a real `manage.py tailscale_supervisor` against the simulator."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tailscale_sidecar.simulator.harness import SupervisorProcess, fake_tailscaled_path


@pytest.fixture
def sim_env(child_env, fake_control) -> dict[str, str]:
    """child_env pointed at the simulator: fake tailscaled, fake control."""
    return {
        **child_env,
        "TAILSCALED_BIN": str(fake_tailscaled_path()),
        "TAILSCALE_CONTROL_URL": fake_control.url,
    }


@pytest.fixture
def start_supervisor(supervisor_process, sim_env) -> Callable[..., SupervisorProcess]:
    """Start a supervisor on the simulator; keyword arguments override its env."""

    def start(base_env: dict[str, str] | None = None, **env: str) -> SupervisorProcess:
        return supervisor_process(base_env or sim_env, **env)

    return start
