"""Identity headers and the front door's path count only when tailscaled's serve proxy sent them.

A forged `Tailscale-User-Login` from a local client, from a LAN client (127.0.0.2
stands in: any address but 127.0.0.1 is never asked about) and from a tailnet peer
on the plain port signs nobody in, and the web's log says it refused them.
"""

from __future__ import annotations

import pytest

from tailscale_sidecar import servepath
from tailscale_sidecar.models import NodeEvent
from tailscale_sidecar.simulator.harness import wait_for
from tests.frontdoor.conftest import TRUSTED, https_get, local_get, plain_get, status_line

FORGED = {
    "Tailscale-User-Login": TRUSTED,
    "Tailscale-User-Name": "Alice",
    "X-Forwarded-For": "100.64.0.2",
    "X-Forwarded-Proto": "https",
}
SETTINGS = "/settings/tailscale/"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("client", ["local", "lan", "tailnet-plain"])
def test_forged_identity_headers_sign_nobody_in_and_are_logged(stack, django_user_model, client):
    if client == "tailnet-plain":
        answer = plain_get(stack, stack.bob, SETTINGS, FORGED)
    else:
        answer = local_get(
            stack, SETTINGS, FORGED, source="127.0.0.2" if client == "lan" else "127.0.0.1"
        )

    assert status_line(answer) == "HTTP/1.1 302 Found", answer[:400]
    assert not django_user_model.objects.filter(username=TRUSTED).exists()
    assert not NodeEvent.objects.filter(kind="signed_in").exists()
    assert (
        "refused identity headers (TAILSCALE_USER_LOGIN, TAILSCALE_USER_NAME)"
        in stack.web.log_text()
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("source", ["127.0.0.1", "127.0.0.2"])
def test_the_front_door_path_without_its_secret_is_refused(stack, django_user_model, source):
    guessed = f"{servepath.PREFIX}{'0' * 40}{SETTINGS}"

    answer = local_get(stack, guessed, FORGED, source=source)

    assert status_line(answer) == "HTTP/1.1 404 Not Found"
    assert "refused a request for the front door's path" in stack.web.log_text()
    assert not django_user_model.objects.filter(username=TRUSTED).exists()


@pytest.mark.django_db(transaction=True)
def test_the_secret_path_never_reaches_the_access_log(stack):
    assert status_line(https_get(stack, stack.alice, SETTINGS)) == "HTTP/1.1 200 OK"

    # gunicorn writes the access line after the response has gone out.
    line = f'"GET {SETTINGS} HTTP/1.1" 200'
    wait_for(lambda: line in stack.web.log_text(), message=stack.logs)
    assert servepath.PREFIX not in stack.web.log_text()
