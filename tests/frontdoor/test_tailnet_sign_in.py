"""Trusted tailnet logins are signed in without a password, through HTTPS and the plain port;
untrusted users and tagged devices are not."""

from __future__ import annotations

import pytest

from tailscale_sidecar.models import NodeEvent
from tests.frontdoor.conftest import UNTRUSTED, header, https_get, plain_get, status_line

SETTINGS = "/settings/tailscale/"


@pytest.mark.django_db(transaction=True)
def test_a_trusted_login_is_signed_in_through_https_and_the_plain_port(stack, django_user_model):
    through_https = https_get(stack, stack.alice, SETTINGS)
    assert status_line(through_https) == "HTTP/1.1 200 OK", through_https[:600]
    assert b"Settings" in through_https and b"alice@example.com" in through_https
    # Signed in over HTTPS: the session cookie is Secure.
    assert "secure" in header(through_https, "Set-Cookie").lower()

    through_plain = plain_get(stack, stack.alice, SETTINGS)
    assert status_line(through_plain) == "HTTP/1.1 200 OK", through_plain[:600]

    user = django_user_model.objects.get(username="alice@example.com")
    assert user.is_staff and not user.has_usable_password()
    events = NodeEvent.objects.filter(kind="signed_in").order_by("id")
    assert [e.detail["via"] for e in events] == ["https", "tailnet"]
    assert events[0].detail["device"].startswith("alice-laptop.")
    log = stack.web.log_text()
    assert "signed in alice@example.com (alice-laptop." in log
    assert "via https" in log and "via tailnet" in log


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["https", "plain"])
def test_an_untrusted_user_sees_the_login_page_saying_who_the_tailnet_says_they_are(
    stack, django_user_model, path
):
    django_user_model.objects.create_user("owner", password="not-used-here", is_staff=True)
    get = https_get if path == "https" else plain_get
    answer = get(stack, stack.bob, SETTINGS)
    assert status_line(answer) == "HTTP/1.1 302 Found"
    assert header(answer, "Location").startswith("/login/")

    login_page = get(stack, stack.bob, "/login/")
    assert b"Your tailnet says you are <strong>" + UNTRUSTED.encode() in login_page
    assert not django_user_model.objects.filter(username=UNTRUSTED).exists()


@pytest.mark.django_db(transaction=True)
def test_a_tagged_device_is_never_signed_in(stack, django_user_model):
    django_user_model.objects.create_user("owner", password="not-used-here", is_staff=True)
    for get in (https_get, plain_get):
        answer = get(stack, stack.tagged, SETTINGS)
        assert status_line(answer) == "HTTP/1.1 302 Found", answer[:400]
    page = plain_get(stack, stack.tagged, "/login/")
    assert b"tagged device" in page
    assert list(django_user_model.objects.values_list("username", flat=True)) == ["owner"]


@pytest.mark.django_db(transaction=True)
def test_a_login_the_owner_adds_on_the_page_is_signed_in_next_time(stack):
    from tailscale_sidecar import actions

    assert status_line(https_get(stack, stack.bob, SETTINGS)) == "HTTP/1.1 302 Found"
    actions.update_settings(trusted_logins=[UNTRUSTED])
    assert status_line(https_get(stack, stack.bob, SETTINGS)) == "HTTP/1.1 200 OK"
