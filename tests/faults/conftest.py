"""Fault suite: a real supervisor on the simulator, then something breaks.

Each file injects one fault. The fast form runs by default; the long form
(`@pytest.mark.slow`) repeats the fault many more times and runs with --long.
Random fault timings print their seed; FAULT_SEED=<seed> replays them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tailscale_sidecar.simulator.harness import SupervisorProcess, fake_tailscaled_path


@pytest.fixture
def sim_env(child_env, fake_control) -> dict[str, str]:
    """child_env on the simulator, joining headlessly with a reusable auth key."""
    return {
        **child_env,
        "TAILSCALED_BIN": str(fake_tailscaled_path()),
        "TAILSCALE_CONTROL_URL": fake_control.url,
        "TAILSCALE_AUTHKEY": fake_control.create_auth_key(reusable=True),
        # Healthy for a second resets the backoff, so repeated faults never add up to `failed`.
        "TAILSCALE_STABLE_AFTER": "0.5",
    }


@pytest.fixture
def start_supervisor(supervisor_process, sim_env) -> Callable[..., SupervisorProcess]:
    def start(base_env: dict[str, str] | None = None, **env: str) -> SupervisorProcess:
        return supervisor_process(base_env or sim_env, **env)

    return start
