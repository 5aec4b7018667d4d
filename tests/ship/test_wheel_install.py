"""A wheel built from this checkout carries every template and static file.

The wheel is installed into a fresh virtual environment that sees the test
venv's dependencies but not its editable install of this checkout, and
gunicorn serves the login and Settings pages from that installed copy.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest

from tests.ship.helpers import ROOT, base_env, free_port, short_tmp_dir, wait_for

PASSWORD = "wheel-install-password-1"
NOT_SOURCE = (
    ".git",
    ".venv",
    "build",
    "dist",
    "data",
    "artifacts",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "tests",
    "bench",
)


def run(argv: list[str], **kwargs) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, **kwargs)
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding only the wheel; the test venv's site-packages as a plain path."""
    tmp = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools leaves build/ behind, and a stale build/lib
    # in the checkout would put deleted files into later wheels.
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--disable-pip-version-check",
            "-q",
            "-w",
            str(tmp / "dist"),
            str(source),
        ]
    )
    (wheel,) = (tmp / "dist").glob("tracearr-*.whl")
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = Path(
        run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).strip()
    )
    # A path line in a .pth file only extends sys.path: the editable install's
    # own .pth hook in that directory is not run, so the checkout stays invisible.
    (site / "test-venv-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ]
    )
    return python


def test_the_installed_copy_is_the_one_imported(installed: Path, tmp_path: Path) -> None:
    out = run(
        [
            str(installed),
            "-c",
            "import tracearr, tailscale_sidecar; "
            "print(tracearr.__file__); print(tailscale_sidecar.__file__)",
        ],
        cwd=tmp_path,
        env=base_env(),
    )
    for line in out.split():
        assert Path(line).is_relative_to(installed.parent.parent), line
        assert not Path(line).is_relative_to(ROOT), line


def test_login_and_settings_pages_render_from_the_wheel(installed: Path) -> None:
    data = short_tmp_dir("ts-wheel-")
    port = free_port()
    env = base_env(
        DJANGO_SETTINGS_MODULE="tracearr.settings",
        SECRET_KEY="wheel-install-test-secret-key-0123456789",
        DEBUG="false",
        TRACEARR_DATA_DIR=str(data),
        ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SUPERUSER_USERNAME="owner",
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
        DJANGO_SUPERUSER_EMAIL="owner@example.com",
    )
    django = [str(installed), "-m", "django"]
    for command in (
        ["migrate", "-v0"],
        ["collectstatic", "--noinput", "-v0"],
        ["createsuperuser", "--noinput"],
    ):
        run(django + command, cwd=data, env=env)
    server = subprocess.Popen(
        [
            str(installed),
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "tracearr.wsgi",
        ],
        cwd=data,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=5) as client:

            def up() -> bool:
                try:
                    return client.get("/api/v1/health").status_code == 200
                except httpx.TransportError:
                    return False

            wait_for(up, timeout=45)
            login = client.get("/login/")
            assert login.status_code == 200
            assert "<title>Log in · tracearr</title>" in login.text
            css = re.search(r'href="(/static/tailscale_sidecar/app\.[^"]+\.css)"', login.text)
            assert css, "the page links no hashed app.css: static files were not collected"
            assert client.get(css.group(1)).status_code == 200

            answer = client.post(
                "/login/",
                data={
                    "username": "owner",
                    "password": PASSWORD,
                    "csrfmiddlewaretoken": client.cookies["csrftoken"],
                },
            )
            assert answer.status_code == 302, answer.text[:500]
            page = client.get("/settings/tailscale/")
            assert page.status_code == 200
            assert "<title>Settings → Tailscale · tracearr</title>" in page.text
            assert 'id="tailscale-state"' in page.text
            assert re.search(r'src="/static/tailscale_sidecar/tailscale\.[^"]+\.js"', page.text)
    finally:
        server.terminate()
        server.wait(timeout=15)
