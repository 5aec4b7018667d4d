"""What the runtime image promises: slim base, fixed non-root UID, no baked secrets,
tailscaled from the official image, a health check and the shared entrypoint."""

from __future__ import annotations

import re

from .helpers import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()
SECRET_NAMES = (
    "SECRET_KEY",
    "TAILSCALE_STATE_KEYS",
    "TAILSCALE_AUTHKEY",
    "PASSWORD",
    "DATABASE_URL",
)


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            rows.append((word.upper(), rest.strip()))
    return rows


def runtime_stage() -> list[tuple[str, str]]:
    rows = instructions()
    last_from = max(i for i, (word, _) in enumerate(rows) if word == "FROM")
    return rows[last_from:]


def test_the_runtime_stage_is_python_slim_bookworm():
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim-bookworm") in instructions()
    assert runtime_stage()[0] == ("FROM", "${PYTHON_IMAGE}")


def test_it_runs_as_uid_10001():
    users = [args for word, args in runtime_stage() if word == "USER"]
    assert users == ["10001:10001"]


def test_no_secret_is_baked_into_env_or_args():
    for word, args in instructions():
        if word in {"ENV", "ARG"}:
            for name in SECRET_NAMES:
                assert name not in args, f"{word} {args}"


def test_tailscaled_comes_from_the_pinned_official_image():
    assert re.search(r"^ARG TAILSCALE_VERSION=1\.\d+\.\d+$", DOCKERFILE, re.MULTILINE)
    assert "FROM tailscale/tailscale:v${TAILSCALE_VERSION} AS tailscale" in DOCKERFILE
    copies = [a for w, a in runtime_stage() if w == "COPY" and "--from=tailscale" in a]
    assert copies and "tailscaled" in copies[0]
    assert any(
        w == "ENV" and "TAILSCALE_VERSION=${TAILSCALE_VERSION}" in a for w, a in runtime_stage()
    )


def test_it_checks_health_and_starts_through_the_entrypoint():
    stage = runtime_stage()
    assert any(w == "HEALTHCHECK" and "/api/v1/health" in a for w, a in stage)
    assert ("ENTRYPOINT", '["/app/deploy/entrypoint.sh"]') in stage


def test_writable_paths_are_data_and_tmp_only():
    env = " ".join(a for w, a in runtime_stage() if w == "ENV")
    assert "TRACEARR_DATA_DIR=/data" in env
    assert "HOME=/tmp" in env
    assert ("VOLUME", '["/data"]') in runtime_stage()
