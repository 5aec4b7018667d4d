"""Everything but the health check needs a logged-in staff user or a token."""

import pytest
from django.test import Client

PAGES = [
    ("get", "/settings/tailscale/"),
    ("get", "/settings/tailscale/fragment/"),
    ("post", "/settings/tailscale/enable/"),
    ("post", "/settings/tailscale/disable/"),
    ("post", "/settings/tailscale/reset/"),
    ("post", "/settings/tailscale/retry/"),
    ("post", "/settings/tailscale/tokens/"),
    ("post", "/settings/tailscale/tokens/1/revoke/"),
    ("get", "/api/v1/docs"),
    ("get", "/api/v1/openapi.json"),
]
API = [
    ("get", "/api/v1/tailscale"),
    ("patch", "/api/v1/tailscale"),
    ("post", "/api/v1/tailscale/enable"),
    ("post", "/api/v1/tailscale/disable"),
    ("post", "/api/v1/tailscale/reset"),
    ("post", "/api/v1/tailscale/retry"),
    ("get", "/api/v1/tailscale/logs"),
    ("get", "/api/v1/tailscale/access"),
    ("get", "/api/v1/tailscale/events"),
    ("get", "/api/v1/tailscale/stream"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), PAGES)
def test_it_sends_anonymous_visitors_to_login(method, path, owner):
    response = getattr(Client(), method)(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), API)
def test_it_refuses_anonymous_api_calls(method, path):
    response = getattr(Client(), method)(path, content_type="application/json")
    assert response.status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), API)
def test_it_refuses_users_who_are_not_staff(method, path, django_user_model):
    user = django_user_model.objects.create_user("guest", password="x")
    client = Client()
    client.force_login(user)
    response = getattr(client, method)(path, content_type="application/json")
    assert response.status_code == 401
    page = client.get("/settings/tailscale/")
    assert page.status_code == 302


@pytest.mark.django_db
def test_it_serves_health_without_login():
    assert Client().get("/api/v1/health").status_code == 200


@pytest.mark.django_db
def test_it_logs_out_only_by_post(owner_client):
    assert owner_client.get("/logout/").status_code == 405
    assert owner_client.post("/logout/").status_code == 302
    assert owner_client.get("/settings/tailscale/").status_code == 302
