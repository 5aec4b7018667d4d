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


@pytest.fixture
def tailnet_peers(monkeypatch):
    """Requests carry the tailnet identity their (test-only) X-Test-Peer header names."""
    from tailscale_sidecar.web import signin
    from tailscale_sidecar.web.identity import TailnetIdentity

    def identify(request):
        login = request.META.get("HTTP_X_TEST_PEER")
        if not login:
            return None
        return TailnetIdentity(login, "", f"{login}-laptop", "100.64.0.9", (), "tailnet")

    monkeypatch.setattr(signin, "identify", identify)


@pytest.mark.django_db
def test_one_tailnet_peer_cannot_lock_another_out(owner, tailnet_peers, caplog):
    # Both arrive from 127.0.0.1, as every tailnet peer does in userspace mode.
    mallory = Client(HTTP_X_TEST_PEER="mallory@example.com")
    for _ in range(10):
        attempt(mallory, "wrong")
    assert attempt(mallory, PASSWORD).status_code == 429

    alice = Client(HTTP_X_TEST_PEER="alice@example.com")
    with caplog.at_level("INFO", logger="tailscale_sidecar.signin"):
        assert attempt(alice, PASSWORD).status_code == 302
    assert (
        "signed in owner with a password from alice@example.com (alice@example.com-laptop, "
        "100.64.0.9)" in caplog.text
    )
