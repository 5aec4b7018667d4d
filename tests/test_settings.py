"""Settings read from the environment fail loudly on bad values."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_check(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE")
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_to_start_without_secret_key_when_debug_is_off(tmp_path):
    result = run_check({"DEBUG": "false", "TRACEARR_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_it_starts_with_debug_and_no_secret_key(tmp_path):
    result = run_check({"DEBUG": "true", "TRACEARR_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr


def test_it_rejects_a_malformed_boolean(tmp_path):
    result = run_check(
        {"DEBUG": "maybe", "SECRET_KEY": "x" * 50, "TRACEARR_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_it_treats_an_empty_database_url_as_the_embedded_default(tmp_path):
    result = run_check({"DEBUG": "true", "DATABASE_URL": "", "TRACEARR_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr


def test_it_refuses_to_trust_x_forwarded_proto(tmp_path):
    # Every tailnet peer reaches the plain port and could send the header itself.
    result = run_check(
        {"DEBUG": "true", "TRUST_X_FORWARDED_PROTO": "true", "TRACEARR_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode != 0
    assert "TRUST_X_FORWARDED_PROTO is no longer supported" in result.stderr
