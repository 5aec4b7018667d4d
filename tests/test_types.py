"""The app and the host project are type-checked, not only annotated: mypy with django-stubs.

What is checked is set once, in pyproject.toml ([tool.mypy] files and exclude),
so `mypy` on its own checks the same. The cache is mypy's default .mypy_cache
(ignored by git): the first run on a fresh clone takes a few seconds more.
"""

import subprocess
import sys

from tests.fixtures.processes import ROOT

# Standard-library stand-ins for tailscaled and its control server (see pyproject.toml).
UNCHECKED = ("fake_tailscaled", "fake_control")


def modules_meant_to_be_checked() -> list[str]:
    return [
        str(path.relative_to(ROOT))
        for package in ("tailscale_sidecar", "tracearr")
        for path in (ROOT / package).rglob("*.py")
        if not set(UNCHECKED) & set(path.parts)
    ]


def test_the_app_and_the_host_project_are_type_clean():
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Every module, so that narrowing the configuration cannot pass unnoticed.
    checked = len(modules_meant_to_be_checked())
    assert f"no issues found in {checked} source files" in result.stdout, result.stdout
