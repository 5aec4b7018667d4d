"""A host adds the API to its own NinjaAPI with one line; auth and 422s come along."""

import pytest


@pytest.mark.django_db
@pytest.mark.urls("tests.web.host_api_urls")
def test_the_router_serves_inside_a_host_api(token_client, client):
    assert client.get("/host-api/hello").json() == {"hello": "world"}
    assert client.get("/host-api/health").json() == {"status": "ok"}
    assert client.get("/host-api/tailscale").status_code == 401
    assert token_client.get("/host-api/tailscale").json()["phase"] == "disabled"
    bad = token_client.post(
        "/host-api/tailscale/enable", {"hostname": "-bad-"}, content_type="application/json"
    )
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"hostname"}
    ok = token_client.post(
        "/host-api/tailscale/enable", {"hostname": "web"}, content_type="application/json"
    )
    assert ok.json()["phase"] == "starting"
