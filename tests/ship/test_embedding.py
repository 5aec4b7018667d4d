"""docs/embedding.md, followed to the letter, puts a fresh Django project on a tailnet.

A project from `django-admin startproject` gets exactly the doc's Python
blocks; then `check`, `migrate`, `createsuperuser`, `create_api_token`, the
dev server and the supervisor (against the simulator) run as the doc says,
the node is enabled through the API with the token, consented to at the fake
control server, and reaches `running`.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tailscale_sidecar.simulator.harness import SupervisorProcess, fake_tailscaled_path
from tests.ship.helpers import ROOT, VENV_BIN, base_env, free_port, short_tmp_dir, wait_for

DOC = (ROOT / "docs" / "embedding.md").read_text()
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```", DOC, re.MULTILINE | re.DOTALL)
PASSWORD = "embedding-test-password-1"
TIMEOUT = 60.0


def python_blocks() -> dict[str, list[str]]:
    """The doc's Python blocks, by the file their first line names ("# settings.py")."""
    by_file: dict[str, list[str]] = {}
    for lang, body in BLOCKS:
        first = body.splitlines()[0]
        if lang == "python" and re.fullmatch(r"# \w+\.py", first):
            by_file.setdefault(first[2:], []).append(body)
    return by_file


def shell_commands() -> list[str]:
    """`manage.py <command>` names in the doc's shell blocks, in order."""
    text = "\n".join(body for lang, body in BLOCKS if lang == "sh")
    return re.findall(r"python manage\.py (\w+)", text)


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def start(argv: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the process group we started."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def test_the_doc_names_the_commands_this_test_runs():
    assert python_blocks().keys() == {"settings.py", "urls.py", "wsgi.py"}
    assert shell_commands() == [
        "migrate",
        "createsuperuser",
        "create_api_token",
        "runserver",
        "tailscale_supervisor",
    ]
    for job in ("prune_state_versions", "check_key_expiry"):
        assert f"`python manage.py {job}`" in DOC


@pytest.fixture
def project() -> Path:
    """A fresh startproject with the doc's lines appended, in a short /tmp path."""
    root = short_tmp_dir("ts-embed-")
    run([str(VENV_BIN / "django-admin"), "startproject", "host", str(root)], root, base_env())
    for name, bodies in python_blocks().items():
        with (root / "host" / name).open("a") as target:
            for body in bodies:
                target.write("\n" + body)
    return root


def test_a_fresh_project_reaches_running(project: Path, fake_control) -> None:
    port = free_port()
    env = base_env(
        PORT=str(port),
        TAILSCALED_BIN=fake_tailscaled_path(),
        TAILSCALE_CONTROL_URL=fake_control.url,
        TAILSCALE_HEALTHCHECK_INTERVAL="1",
        TAILSCALE_POLL_INTERVAL="0.5",
        DJANGO_SUPERUSER_USERNAME="owner",
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
        DJANGO_SUPERUSER_EMAIL="owner@example.com",
    )
    manage = [sys.executable, "manage.py"]
    assert "no issues" in run([*manage, "check"], project, env)
    run([*manage, "migrate", "-v0"], project, env)
    run([*manage, "createsuperuser", "--noinput"], project, env)
    token = run([*manage, "create_api_token", "owner", "automation"], project, env).strip()
    assert token.startswith("tra_")

    web = start(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"], project, env, project / "web.log"
    )
    supervisor = SupervisorProcess(env, project / "sup.log", cwd=project)
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {token}"}
    logs = lambda: (project / "web.log").read_text() + (project / "sup.log").read_text()  # noqa: E731
    try:

        def answers() -> bool:
            assert web.poll() is None, logs()
            try:
                return httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(answers, timeout=TIMEOUT)
        enabled = httpx.post(
            f"{base}/api/v1/tailscale/enable", json={"hostname": "embedded"}, headers=auth
        )
        assert enabled.status_code == 200, enabled.text
        assert enabled.json()["phase"] == "starting"

        def status() -> dict:
            assert supervisor.alive(), logs()
            return httpx.get(f"{base}/api/v1/tailscale", headers=auth, timeout=5).json()

        auth_url = wait_for(lambda: status()["auth_url"], timeout=TIMEOUT)
        fake_control.consent(auth_url)
        running = wait_for(lambda: (s := status())["phase"] == "running" and s, timeout=TIMEOUT)
        assert running["dns_name"].startswith("embedded.")
        assert running["url"] == f"http://{running['dns_name']}:{port}/"
        assert running["supervisor_alive"] is True

        with httpx.Client(base_url=base, timeout=5) as browser:
            login = browser.get("/admin/login/", params={"next": "/settings/tailscale/"})
            answer = browser.post(
                "/admin/login/?next=/settings/tailscale/",
                data={
                    "username": "owner",
                    "password": PASSWORD,
                    "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                },
                follow_redirects=True,
            )
            assert login.status_code == 200
            assert answer.status_code == 200 and "Settings → Tailscale" in answer.text
            assert 'data-phase="running"' in answer.text

        # The jobs run without Celery.
        assert "old state version" in run([*manage, "prune_state_versions"], project, env)
        assert "node key" in run([*manage, "check_key_expiry"], project, env)
    finally:
        supervisor.cleanup()
        stop(web)
