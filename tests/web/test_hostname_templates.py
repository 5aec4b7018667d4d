"""Hostname templates: {id}, {host}, {region} rendered into one DNS label."""

import socket

import pytest
from django.core.exceptions import ValidationError

from tailscale_sidecar.config import effective_config
from tailscale_sidecar.hostname import TemplateError, render, sanitize
from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.validation import validate_hostname

from .conftest import desired_snapshot

VALUES = {"id": "a1b2c3", "host": "Fly_Machine.1", "region": "AMS"}


@pytest.mark.parametrize(
    ("template", "rendered"),
    [
        ("tracearr-{region}-{id}", "tracearr-ams-a1b2c3"),
        ("{host}", "fly-machine-1"),
        ("App__{region}..{id}", "app-ams-a1b2c3"),
        ("--{region}--", "ams"),
        ("{id}" + "x" * 70, ("a1b2c3" + "x" * 70)[:63]),
        ("x" * 62 + "-{id}", "x" * 62),
    ],
)
def test_it_renders_and_sanitizes_to_a_dns_label(template, rendered):
    assert render(template, VALUES) == rendered


def test_sanitizing_keeps_only_a_to_z_digits_and_single_dashes():
    assert sanitize("Über Host_1!!2") == "ber-host-1-2"
    assert sanitize("---") == ""


@pytest.mark.parametrize(
    ("template", "message"),
    [("web-{zone}", "is not a placeholder"), ("web-{id", "brace is not closed")],
)
def test_it_refuses_templates_it_cannot_render(template, message):
    with pytest.raises(TemplateError, match=message):
        render(template, VALUES)


def test_a_template_that_renders_empty_is_refused(monkeypatch):
    monkeypatch.delenv("FLY_REGION", raising=False)
    with pytest.raises(ValidationError, match="renders as an empty name here"):
        validate_hostname("{region}")
    monkeypatch.setenv("FLY_REGION", "ams")
    assert validate_hostname("{region}") == "{region}"


@pytest.mark.django_db
def test_the_instance_id_is_made_once_and_used_by_every_rendering(monkeypatch):
    monkeypatch.setenv("FLY_REGION", "syd")
    row = DesiredConfig.update(hostname="web-{region}-{id}-{host}")
    assert len(row.instance_id) == 6 and row.instance_id.isalnum()
    config = effective_config(DesiredConfig.load())
    assert config.hostname == sanitize(f"web-syd-{row.instance_id}-{socket.gethostname()}")
    assert config.hostname_template == "web-{region}-{id}-{host}"
    DesiredConfig.update(enabled=True)
    assert effective_config(DesiredConfig.load()).hostname == config.hostname


@pytest.mark.django_db
def test_the_api_refuses_an_empty_rendering_and_changes_nothing(token_client, monkeypatch):
    monkeypatch.delenv("FLY_REGION", raising=False)
    DesiredConfig.update(hostname="web")
    before = desired_snapshot()
    response = token_client.patch(
        "/api/v1/tailscale", {"hostname": "{region}"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert "renders as an empty name here" in response.json()["errors"]["hostname"]
    assert desired_snapshot() == before


@pytest.mark.django_db
def test_the_page_shows_the_rendered_name_next_to_the_template(owner_client, monkeypatch):
    monkeypatch.setenv("FLY_REGION", "iad")
    row = DesiredConfig.update(hostname="tracearr-{region}-{id}")
    page = owner_client.get("/settings/tailscale/").content.decode()
    assert 'value="tracearr-{region}-{id}"' in page
    assert f"<strong>tracearr-iad-{row.instance_id}</strong>" in page
