"""`manage.py check --deploy` is clean under production-like settings."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
import tempfile

from tests.fixtures.processes import ROOT


def test_check_deploy_is_clean_in_production_settings():
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "SESSION_COOKIE_SECURE": "true",
        "CSRF_COOKIE_SECURE": "true",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
        "TRACEARR_DATA_DIR": tempfile.mkdtemp(prefix="ts-deploy-", dir="/tmp"),
        "DJANGO_SETTINGS_MODULE": "tracearr.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert not re.findall(r"\(([a-z_]+\.[EW]\d{3})\)", output), output
    assert result.returncode == 0, output
