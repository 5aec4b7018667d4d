"""Structural rules for both Compose files (no Docker daemon needed)."""

from __future__ import annotations

import re

import pytest
import yaml

from .helpers import ROOT

COMPOSE_FILES = ["docker-compose.yml", "docker-compose.sqlite.yml"]
ENV_EXAMPLE = (ROOT / ".env.example").read_text()


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text())


@pytest.fixture(params=COMPOSE_FILES)
def compose(request) -> tuple[str, dict]:
    return request.param, load(request.param)


def test_no_service_is_privileged_or_keeps_capabilities(compose):
    _, doc = compose
    for name, service in doc["services"].items():
        assert not service.get("privileged"), name
        assert service.get("cap_drop") == ["ALL"], name
        assert not service.get("cap_add"), name
        assert not service.get("devices"), name
        assert "no-new-privileges:true" in service.get("security_opt", []), name


def test_no_host_port_is_published_by_default(compose):
    _, doc = compose
    for name, service in doc["services"].items():
        assert "ports" not in service, name
        assert service.get("network_mode") != "host", name


def test_every_service_has_a_healthcheck(compose):
    _, doc = compose
    for name, service in doc["services"].items():
        assert service.get("healthcheck", {}).get("test"), name


def test_the_app_runs_read_only_with_tmpfs_and_a_data_volume(compose):
    _, doc = compose
    app = doc["services"]["app"]
    assert app["read_only"] is True
    assert "/tmp" in app["tmpfs"]
    assert "app-data:/data" in app["volumes"]
    assert app["env_file"] == ".env"
    assert "build" in app and "image" in app


def test_named_volumes_are_declared(compose):
    _, doc = compose
    declared = set(doc.get("volumes") or {})
    for name, service in doc["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith(("/", ".")):
                assert source in declared, f"{name}: volume {source!r} not declared"


def test_dependencies_wait_until_healthy(compose):
    _, doc = compose
    for name, service in doc["services"].items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert rule == {"condition": "service_healthy"}, f"{name} -> {dependency}"
            assert dependency in doc["services"]


def test_every_interpolated_variable_is_documented(compose):
    name, _ = compose
    variables = set(re.findall(r"\$\{([A-Z0-9_]+)", (ROOT / name).read_text()))
    for variable in variables:
        assert re.search(rf"^#? ?{variable}=", ENV_EXAMPLE, re.MULTILINE), variable


def test_the_full_stack_has_postgres_and_redis_and_sqlite_has_neither():
    assert {"app", "postgres", "redis"} <= set(load("docker-compose.yml")["services"])
    assert set(load("docker-compose.sqlite.yml")["services"]) == {"app"}
