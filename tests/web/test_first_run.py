"""The first-run page creates the owner only while no user exists."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

NEW_OWNER = {
    "username": "alice",
    "password1": "a-long-pass-phrase-1",
    "password2": "a-long-pass-phrase-1",
}


@pytest.mark.django_db
def test_login_sends_a_fresh_install_to_first_run():
    response = Client().get("/login/")
    assert response.status_code == 302 and response["Location"] == "/setup/"


@pytest.mark.django_db
def test_it_creates_a_staff_owner_and_logs_them_in():
    client = Client()
    assert client.get("/setup/").status_code == 200
    response = client.post("/setup/", NEW_OWNER)
    assert response.status_code == 302 and response["Location"] == "/settings/tailscale/"
    user = get_user_model().objects.get()
    assert (user.username, user.is_staff, user.is_superuser) == ("alice", True, True)
    assert client.get("/settings/tailscale/").status_code == 200


@pytest.mark.django_db
def test_it_refuses_mismatched_passwords():
    response = Client().post("/setup/", {**NEW_OWNER, "password2": "different-pass-phrase"})
    assert response.status_code == 200
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_it_is_gone_once_a_user_exists(owner):
    client = Client()
    assert client.get("/setup/").status_code == 404
    assert client.post("/setup/", {**NEW_OWNER, "username": "mallory"}).status_code == 404
    assert get_user_model().objects.count() == 1
