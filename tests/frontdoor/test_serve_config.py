"""The supervisor keeps tailscaled's serve config level-triggered: it puts the front door
back after a restart or someone else's edit, keeps their handlers, never takes theirs
over, and removes its own when the tailnet turns HTTPS off."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from django.test import Client

from tailscale_sidecar import servepath
from tailscale_sidecar.localapi import LocalAPIClient
from tailscale_sidecar.simulator.harness import wait_for
from tests.frontdoor.conftest import (
    https_get,
    observed,
    plain_get,
    status_line,
    wait_observed,
)

SETTINGS = "/settings/tailscale/"


@pytest.fixture
def localapi(stack, child_env):
    path = Path(child_env["TRACEARR_DATA_DIR"]) / "run" / "tailscaled.sock"
    with LocalAPIClient(path) as client:
        yield client


def ours(config: dict, name: str) -> str:
    handler = ((config.get("Web") or {}).get(f"{name}:443") or {}).get("Handlers", {}).get("/")
    return (handler or {}).get("Proxy", "")


@pytest.mark.django_db(transaction=True)
def test_someone_elses_edit_is_undone_for_the_front_door_and_kept_for_the_rest(stack, localapi):
    config, etag = localapi.serve_config()
    assert servepath.is_front_door_target(ours(config, stack.name))
    assert config["TCP"] == {"443": {"HTTPS": True}}
    # Someone runs `tailscale serve` for another app on 8443, dropping ours.
    theirs = {
        "TCP": {"8443": {"HTTPS": True}},
        "Web": {f"{stack.name}:8443": {"Handlers": {"/": {"Text": "another app"}}}},
    }
    localapi.set_serve_config(theirs, etag)

    def restored():
        config = localapi.serve_config()[0]
        return servepath.is_front_door_target(ours(config, stack.name)) and config

    config = wait_for(restored, timeout=20, message=stack.logs)
    assert config["Web"][f"{stack.name}:8443"] == theirs["Web"][f"{stack.name}:8443"]
    assert config["TCP"] == {"443": {"HTTPS": True}, "8443": {"HTTPS": True}}
    wait_for(lambda: "kept what others serve: port 8443" in stack.supervisor.log_text())
    assert status_line(https_get(stack, stack.alice, SETTINGS)) == "HTTP/1.1 200 OK"


@pytest.mark.django_db(transaction=True)
def test_a_root_handler_someone_else_wrote_is_left_alone_and_reported(stack, localapi):
    config, etag = localapi.serve_config()
    config["Web"][f"{stack.name}:443"]["Handlers"]["/"] = {"Proxy": "http://127.0.0.1:9"}
    localapi.set_serve_config(config, etag)

    o = wait_observed(lambda o: o.https_error and o, stack)
    assert "already served by another serve config (Proxy http://127.0.0.1:9)" in o.https_error
    assert observed().https_url == ""
    assert ours(localapi.serve_config()[0], stack.name) == "http://127.0.0.1:9"

    # They remove theirs: the front door comes back.
    config, etag = localapi.serve_config()
    del config["Web"][f"{stack.name}:443"]
    localapi.set_serve_config(config, etag)
    wait_observed(lambda o: o.https_url and not o.https_error, stack)


@pytest.mark.django_db(transaction=True)
def test_the_front_door_works_again_after_tailscaled_is_killed(stack):
    pid = stack.supervisor.tailscaled_pids()[0]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: stack.supervisor.spawn_count() >= 2, timeout=20, message=stack.logs)
    wait_observed(lambda o: o.phase == "running" and o.https_url, stack)

    assert status_line(https_get(stack, stack.alice, SETTINGS)) == "HTTP/1.1 200 OK"


@pytest.mark.django_db(transaction=True)
def test_https_off_in_the_tailnet_is_explained_and_the_plain_url_keeps_working(
    stack, localapi, admin_user
):
    stack.control.set_https(False)

    wait_observed(lambda o: o.cert_domains == [] and o.https_url == "", stack)
    wait_for(lambda: not ours(localapi.serve_config()[0], stack.name), message=stack.logs)
    client = Client()
    client.force_login(admin_user)
    status = client.get("/api/v1/tailscale").json()
    assert (status["https_url"], status["https_available"]) == (None, False)
    assert status["url"].startswith(f"http://{stack.name}:")
    page = client.get(SETTINGS).content.decode()
    assert 'data-testid="https-off"' in page
    assert "https://login.tailscale.com/admin/dns" in page
    assert status_line(plain_get(stack, stack.alice, SETTINGS)) == "HTTP/1.1 200 OK"

    stack.control.set_https(True)
    wait_observed(lambda o: o.https_url == f"https://{stack.name}/", stack)
    assert status_line(https_get(stack, stack.alice, SETTINGS)) == "HTTP/1.1 200 OK"
