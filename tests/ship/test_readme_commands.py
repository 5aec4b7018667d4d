"""The README's run commands, typed exactly as a new user types them.

Each test copies the repository as a clone would hold it (tracked and new
files, nothing ignored: no .venv, no data) into a temp dir and runs `bin/run`
or `bin/run --demo` there with only `PORT` and the documented
`DJANGO_SUPERUSER_*` set. No TRACEARR_SKIP_VENV and no venv on PATH: the copy
builds its own .venv, as on a fresh machine (pip's cache keeps that to seconds).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import subprocess
from pathlib import Path

import httpx
import pytest

from .helpers import ROOT, AppRun, free_port, short_tmp_dir, wait_for

OWNER, PASSWORD = "owner", "a-long-owner-password-9"
# A fresh clone builds its venv first: allow for pip on a loaded machine.
FIRST_START_TIMEOUT = 240.0
DEBUG_PAGE_MARKERS = ("DEBUG = True", "Traceback", "Using the URLconf defined in")


def clone_of_the_checkout(dest: Path) -> Path:
    """The files `git clone` of this checkout would give, including uncommitted edits."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source = ROOT / name
        if not source.is_file():
            continue  # deleted in the work tree, not yet committed
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return dest


def users_environment(**settings: str) -> dict[str, str]:
    """This machine's environment as a user's shell has it: no app settings, no venv."""
    dropped_prefixes = ("TAILSCALE_", "TRACEARR_", "PYTEST_", "DJANGO_", "WEB_", "COV_")
    dropped = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SECRET_KEY_FILE", "DEBUG", "PORT"}
    dropped |= {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "CI"}
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(dropped_prefixes) and key not in dropped
    }
    path = [
        entry
        for entry in env.get("PATH", "").split(os.pathsep)
        if entry and not (Path(entry).parent / "pyvenv.cfg").exists()
    ]
    env["PATH"] = os.pathsep.join(path)
    env.update(settings)
    return env


@pytest.fixture
def fresh_clone():
    runs: list[AppRun] = []
    dirs: list[Path] = []

    def start(*args: str, port: int) -> AppRun:
        clone = clone_of_the_checkout(short_tmp_dir("ts-clone-"))
        dirs.append(clone)
        env = users_environment(
            PORT=str(port),
            DJANGO_SUPERUSER_USERNAME=OWNER,
            DJANGO_SUPERUSER_PASSWORD=PASSWORD,
        )
        run = AppRun(["bin/run", *args], env, log_dir=clone, cwd=clone)
        run.clone = clone
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.cleanup()
    for path in dirs:
        shutil.rmtree(path, ignore_errors=True)


def logged_in(base: str) -> httpx.Client:
    """A browser-like client logged in as the owner through the login form."""
    client = httpx.Client(base_url=base, timeout=15, follow_redirects=True)
    client.get("/login/").raise_for_status()
    response = client.post(
        "/login/",
        data={
            "username": OWNER,
            "password": PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
    )
    response.raise_for_status()
    assert "Tailscale" in response.text and "/login/" not in str(response.url)
    return client


def post_form(client: httpx.Client, path: str, **fields: str) -> httpx.Response:
    fields["csrfmiddlewaretoken"] = client.cookies["csrftoken"]
    response = client.post(path, data=fields)
    response.raise_for_status()
    return response


def status(client: httpx.Client) -> dict:
    response = client.get("/api/v1/tailscale")
    response.raise_for_status()
    return response.json()


def test_bin_run_demo_as_typed_reaches_running_and_ctrl_c_leaves_nothing(fresh_clone):
    port = free_port()
    run = fresh_clone("--demo", port=port)
    run.wait_healthy(port, timeout=FIRST_START_TIMEOUT)
    assert (run.clone / ".venv" / "bin" / "python").exists()
    assert "fake-tailscale-control" in " ".join(run.tree_cmdlines())
    base = f"http://127.0.0.1:{port}"
    client = logged_in(base)

    # Enable with the pre-filled name, as one click on the page does.
    page = client.get("/settings/tailscale/").text
    hostname = re.search(r'name="hostname"[^>]*value="([^"]*)"', page)
    assert hostname and hostname.group(1), "the hostname field is pre-filled"
    post_form(client, "/settings/tailscale/enable/", hostname=hostname.group(1))
    try:
        auth_url = wait_for(lambda: status(client).get("auth_url"), timeout=60)
    except AssertionError as exc:
        raise AssertionError(f"{status(client)}\n{run.log_text()[-4000:]}") from exc

    # The simulated consent page: follow the link, press Connect.
    consent = httpx.get(auth_url, timeout=15)
    consent.raise_for_status()
    action = re.search(r'<form method="post" action="([^"]+)"', consent.text)
    assert action, consent.text
    httpx.post(httpx.URL(auth_url).join(action.group(1)), timeout=15).raise_for_status()
    running = wait_for(lambda: (s := status(client))["phase"] == "running" and s, timeout=60)
    assert running["dns_name"].startswith(hostname.group(1))
    page = client.get("/settings/tailscale/").text
    assert re.search(r'<span class="badge badge-running">Connected</span>', page), page
    assert "fake-tailscaled" in " ".join(run.tree_cmdlines())

    run.stop(signal.SIGINT)
    assert not run.survivors(), run.survivors()


def test_bin_run_as_typed_serves_no_debug_page_and_says_tailscaled_is_missing(fresh_clone):
    if shutil.which("tailscaled"):
        pytest.skip("a real tailscaled is installed here: the page would not be 'unavailable'")
    port = free_port()
    run = fresh_clone(port=port)
    run.wait_healthy(port, timeout=FIRST_START_TIMEOUT)
    base = f"http://127.0.0.1:{port}"
    log = run.log_text()
    assert "no tailscaled found" in log
    assert f"http://127.0.0.1:{port}/" in log
    secret = run.clone / "data" / "secret_key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len(secret.read_text().strip()) >= 50
    assert (run.clone / "data" / "tracearr.sqlite3").exists()
    names = " ".join(run.tree_cmdlines())
    for process in ("gunicorn", "tailscale_supervisor", "-m tracearr.worker"):
        assert process in names

    missing = httpx.get(f"{base}/no-such-page/", timeout=15)
    assert missing.status_code == 404
    for marker in DEBUG_PAGE_MARKERS:
        assert marker not in missing.text

    client = logged_in(base)
    post_form(client, "/settings/tailscale/enable/", hostname="tracearr")
    unavailable = wait_for(
        lambda: (s := status(client))["phase"] == "unavailable" and s, timeout=60
    )
    assert "tailscaled was not found" in unavailable["error"]
    assert "tailscaled was not found" in client.get("/settings/tailscale/").text

    run.stop(signal.SIGINT)
    assert not run.survivors(), run.survivors()
