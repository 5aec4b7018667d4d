"""Ten failed logins for one address and user name lock that pair out (429)."""

import pytest
from django.test import Client

from .conftest import PASSWORD


def attempt(client: Client, password: str, username: str = "owner"):
    return client.post("/login/", {"username": username, "password": password})


@pytest.mark.django_db
def test_it_locks_out_after_ten_failures(owner):
    client = Client()
    for _ in range(10):
        assert attempt(client, "wrong").status_code == 200
    locked = attempt(client, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_it_counts_per_user_name(owner, django_user_model):
    django_user_model.objects.create_user("other", password=PASSWORD, is_staff=True)
    client = Client()
    for _ in range(10):
        attempt(client, "wrong")
    assert attempt(client, PASSWORD, username="other").status_code == 302


@pytest.mark.django_db
def test_a_successful_login_clears_the_count(owner):
    client = Client()
    for _ in range(9):
        attempt(client, "wrong")
    assert attempt(client, PASSWORD).status_code == 302
    client.post("/logout/")
    for _ in range(9):
        attempt(client, "wrong")
    assert attempt(client, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_login_redirects_to_the_settings_page(owner):
    response = attempt(Client(), PASSWORD)
    assert response["Location"] == "/settings/tailscale/"
