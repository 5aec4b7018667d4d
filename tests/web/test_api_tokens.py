"""Bearer tokens: work, can be revoked, are stored only as SHA-256."""

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tailscale_sidecar.models import ApiToken


@pytest.mark.django_db
def test_it_accepts_a_valid_token(token_client):
    response = token_client.get("/api/v1/tailscale")
    assert response.status_code == 200
    assert response.json()["phase"] == "disabled"


@pytest.mark.django_db
def test_it_refuses_an_unknown_token(owner):
    client = Client(headers={"Authorization": "Bearer tra_not-a-real-token"})
    assert client.get("/api/v1/tailscale").status_code == 401


@pytest.mark.django_db
def test_it_refuses_a_revoked_token(owner_client, token_client, api_token):
    token = ApiToken.objects.get()
    response = owner_client.post(f"/settings/tailscale/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert not ApiToken.objects.exists()
    assert token_client.get("/api/v1/tailscale").status_code == 401


@pytest.mark.django_db
def test_it_stores_only_the_hash_and_a_short_prefix(api_token):
    token = ApiToken.objects.get()
    assert token.token_hash == hashlib.sha256(api_token.encode()).hexdigest()
    assert api_token.startswith(token.prefix) and len(token.prefix) < 12
    stored = " ".join(str(v) for v in ApiToken.objects.values().get().values())
    assert api_token not in stored


@pytest.mark.django_db
def test_it_shows_a_new_token_once(owner_client):
    response = owner_client.post("/settings/tailscale/tokens/", {"name": "home-assistant"})
    assert response.status_code == 200
    token = ApiToken.objects.get(name="home-assistant")
    raw = response.context["new_token"]
    assert raw in response.content.decode()
    assert hashlib.sha256(raw.encode()).hexdigest() == token.token_hash
    again = owner_client.get("/settings/tailscale/").content.decode()
    assert raw not in again and token.prefix in again


@pytest.mark.django_db
def test_it_records_when_a_token_was_last_used(token_client):
    assert ApiToken.objects.get().last_used_at is None
    token_client.get("/api/v1/tailscale")
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.django_db
def test_the_command_creates_a_working_token(owner):
    out = StringIO()
    call_command("create_api_token", "owner", "ci", stdout=out, stderr=StringIO())
    raw = out.getvalue().strip()
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get("/api/v1/tailscale").status_code == 200


@pytest.mark.django_db
def test_the_command_refuses_non_staff_users(django_user_model):
    django_user_model.objects.create_user("guest", password="x")
    with pytest.raises(CommandError, match="not an active staff user"):
        call_command("create_api_token", "guest", "ci", stdout=StringIO(), stderr=StringIO())
