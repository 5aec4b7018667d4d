"""Session-authenticated writes need a CSRF token; token-authenticated ones don't."""

import pytest
from django.test import Client

from tailscale_sidecar.models import DesiredConfig


@pytest.fixture
def csrf_client(owner) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    return client


def csrf_token(client: Client) -> str:
    client.get("/settings/tailscale/")
    return client.cookies["csrftoken"].value


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["enable", "disable", "reset", "retry"])
def test_it_refuses_session_api_writes_without_csrf(csrf_client, path):
    before = DesiredConfig.load().generation
    response = csrf_client.post(
        f"/api/v1/tailscale/{path}", {"hostname": "web"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert DesiredConfig.load().generation == before


@pytest.mark.django_db
def test_it_accepts_session_api_writes_with_csrf(csrf_client):
    response = csrf_client.post(
        "/api/v1/tailscale/enable",
        {"hostname": "web"},
        content_type="application/json",
        headers={"X-CSRFToken": csrf_token(csrf_client)},
    )
    assert response.status_code == 200
    assert DesiredConfig.load().enabled


@pytest.mark.django_db
def test_it_refuses_form_posts_without_csrf(csrf_client):
    response = csrf_client.post("/settings/tailscale/enable/", {"hostname": "web"})
    assert response.status_code == 403
    assert not DesiredConfig.load().enabled


@pytest.mark.django_db
def test_token_writes_need_no_csrf(api_token):
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {api_token}"})
    response = client.post("/api/v1/tailscale/disable")
    assert response.status_code == 200
