"""fly.toml parses and keeps the app tailnet-only with secrets out of the file."""

from __future__ import annotations

import tomllib

from .helpers import ROOT

FLY = tomllib.loads((ROOT / "fly.toml").read_text())


def test_it_builds_the_dockerfile():
    assert FLY["build"]["dockerfile"] == "Dockerfile"
    assert FLY["build"]["args"]["TAILSCALE_VERSION"].startswith("1.")


def test_nothing_is_public():
    assert "http_service" not in FLY
    assert "services" not in FLY


def test_secrets_are_not_in_the_file():
    for name in ("SECRET_KEY", "TAILSCALE_STATE_KEYS", "TAILSCALE_AUTHKEY", "DATABASE_URL"):
        assert name not in FLY.get("env", {})


def test_no_volume_is_needed():
    assert "mounts" not in FLY


def test_it_stops_with_sigterm_and_time_to_store_the_state():
    assert FLY["kill_signal"] == "SIGTERM"
    assert FLY["kill_timeout"] >= 10
    assert FLY["env"]["TRACEARR_BIND"] == "127.0.0.1"


def test_the_machine_restarts_whenever_it_stops():
    assert FLY["restart"] == [{"policy": "always", "retries": 10}]
