"""The Dockerfile is hadolint clean (rules are ignored only inline, with a reason)."""

from __future__ import annotations

import subprocess

from .helpers import ROOT, VENV_BIN


def test_hadolint_finds_nothing():
    result = subprocess.run(
        [str(VENV_BIN / "hadolint"), "--no-color", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
