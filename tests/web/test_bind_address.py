"""A web server listening on ::1 alone can never receive tailnet traffic: refused at start-up."""

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from tailscale_sidecar.conf import check_web_bind
from tests.fixtures.web import ROOT


def check(bind: str, tmp_path) -> subprocess.CompletedProcess:
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "true",
        "TRACEARR_DATA_DIR": str(tmp_path),
        "TRACEARR_BIND": bind,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("bind", ["::1", "[::1]"])
def test_an_ipv6_loopback_bind_is_refused_with_the_reason(bind, tmp_path):
    result = check(bind, tmp_path)
    assert result.returncode != 0
    assert "can never receive tailnet traffic" in result.stderr
    assert "127.0.0.1" in result.stderr


@pytest.mark.parametrize("bind", ["127.0.0.1", "0.0.0.0", "::"])
def test_binds_that_include_127_0_0_1_are_accepted(bind, tmp_path):
    assert check(bind, tmp_path).returncode == 0


@pytest.mark.parametrize("bind", ["::1", "[::1]", " ::1 "])
def test_the_app_refuses_it_from_a_host_too(bind):
    with pytest.raises(ImproperlyConfigured, match="tailscaled delivers it to 127.0.0.1"):
        check_web_bind(bind)
