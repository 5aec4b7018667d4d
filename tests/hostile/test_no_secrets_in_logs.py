"""An auth-key join through the real supervisor leaks no secret into any log.

Scanned: the supervisor's stdout/stderr, ObservedStatus.log_tail and
last_error. Secrets: the auth key, `privkey:` values, `tskey-` anything, and
every base64 value of the state file. Also: state file 0600, its dirs 0700.
"""

from __future__ import annotations

import json
import stat

import pytest

from tailscale_sidecar.models import ObservedStatus
from tailscale_sidecar.simulator.harness import fake_tailscaled_path
from tests.supervisor.helpers import data_dir, join_with_key


@pytest.mark.django_db(transaction=True)
def test_an_auth_key_join_leaks_no_secret(supervisor_process, child_env, fake_control):
    auth_key = fake_control.create_auth_key()
    supervisor = supervisor_process(
        child_env,
        TAILSCALED_BIN=fake_tailscaled_path(),
        TAILSCALE_CONTROL_URL=fake_control.url,
        TAILSCALE_AUTHKEY=auth_key,
        LOG_LEVEL="DEBUG",
    )
    join_with_key(supervisor)
    supervisor.stop()

    state_path = data_dir(supervisor) / "tailscale" / "tailscaled.state"
    state = json.loads(state_path.read_bytes())
    observed = ObservedStatus.load()
    logs = "\n".join([supervisor.log_text(), *observed.log_tail, observed.last_error])

    assert logs.strip(), "nothing was logged: the scan would prove nothing"
    assert auth_key not in logs
    assert "tskey-" not in logs
    assert "privkey:" not in logs
    for key, value in state.items():
        assert value not in logs, f"state value {key!r} appears in a log"

    assert stat.S_IMODE(state_path.stat().st_mode) == 0o600
    for directory in (state_path.parent, data_dir(supervisor) / "run"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
