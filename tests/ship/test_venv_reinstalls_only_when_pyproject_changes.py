"""bin/_venv.sh installs into .venv only when pyproject.toml changed.

It runs on a copy of the script in a scratch project whose `.venv/bin/python`
is a stub that logs its arguments, so nothing is really installed.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import ROOT, short_tmp_dir

STUB = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/../calls.log"
"""


@pytest.fixture
def project() -> Path:
    root = short_tmp_dir()
    (root / "bin").mkdir()
    shutil.copy(ROOT / "bin" / "_venv.sh", root / "bin" / "_venv.sh")
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    venv_bin = root / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "python").write_text(STUB)
    (venv_bin / "python").chmod(0o755)
    return root


def source(project: Path, extras: str = "") -> list[str]:
    """Source the script and ensure the venv as bin/run does; return the pip calls it made."""
    subprocess.run(
        ["bash", "-c", f'source "{project}/bin/_venv.sh" && ensure_venv {extras}'],
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable},
        check=True,
        timeout=30,
    )
    log = project / ".venv" / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def stamp(project: Path) -> str:
    return hashlib.sha256((project / "pyproject.toml").read_bytes()).hexdigest()


def test_a_matching_stamp_installs_nothing(project):
    (project / ".venv" / ".installed").write_text(stamp(project) + "\n")
    assert source(project) == []


def test_the_dev_install_satisfies_the_plain_one(project):
    (project / ".venv" / ".installed-dev").write_text(stamp(project) + "\n")
    assert source(project) == []


def test_a_changed_pyproject_reinstalls_and_records_the_stamp(project):
    (project / ".venv" / ".installed").write_text("an-older-hash\n")
    calls = source(project)
    assert any(
        call.startswith("-m pip install") and call.endswith(f"-e {project}") for call in calls
    )
    assert (project / ".venv" / ".installed").read_text().strip() == stamp(project)
    assert source(project) == calls  # the second run adds nothing


def test_the_callers_arguments_are_never_taken_as_extras(project):
    """bin/run --demo once reached pip as `-e .[--demo]`: sourcing saw bin/run's arguments."""
    subprocess.run(
        ["bash", "-c", f'set -- --demo; source "{project}/bin/_venv.sh" && ensure_venv'],
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable},
        check=True,
        timeout=30,
    )
    calls = (project / ".venv" / "calls.log").read_text().splitlines()
    assert calls[-1].endswith(f"-e {project}"), calls
