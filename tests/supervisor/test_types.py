"""The supervisor side is type-checked, not only annotated: mypy with django-stubs."""

import subprocess
import sys

from tests.fixtures.processes import ROOT

CHECKED = ["tailscale_sidecar/supervisor", "tailscale_sidecar/localapi", "tailscale_sidecar/state"]


def test_the_supervisor_localapi_and_state_packages_are_type_clean():
    result = subprocess.run(
        [sys.executable, "-m", "mypy", *CHECKED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
