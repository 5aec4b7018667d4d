"""The outbound proxy: on by TAILSCALE_OUTBOUND_PROXY, or by the owner's choice on the page or API."""

import httpx
import pytest

from tailscale_sidecar.models import DesiredConfig, ObservedStatus
from tailscale_sidecar.outbound import OutboundProxyOff, tailnet_http_client
from tailscale_sidecar.web.tokens import create_token


@pytest.mark.django_db(transaction=True)
def test_with_the_env_set_the_api_reports_the_proxy_on(web_server, django_user_model):
    owner = django_user_model.objects.create_user("owner", password="x", is_staff=True)
    token = create_token(owner, "t")[1]
    ObservedStatus.write(
        phase="running", socks5_addr="127.0.0.1:1055", http_proxy_addr="127.0.0.1:1055"
    )
    server = web_server(TAILSCALE_OUTBOUND_PROXY="true")
    body = httpx.get(
        f"{server.url}/api/v1/tailscale", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert body["outbound_proxy"] == {
        "enabled": True,
        "socks5": "127.0.0.1:1055",
        "http": "127.0.0.1:1055",
    }


@pytest.mark.django_db
def test_the_enable_form_offers_the_proxy_ticked_by_the_env_default(owner_client, settings):
    settings.TAILSCALE_OUTBOUND_PROXY = True
    html = owner_client.get("/settings/tailscale/fragment/").content.decode()
    assert 'name="outbound_proxy"' in html
    assert 'id="id_outbound_proxy" checked' in html


@pytest.mark.django_db
def test_ticking_it_on_the_page_turns_it_on(owner_client):
    owner_client.post("/settings/tailscale/enable/", {"hostname": "web", "outbound_proxy": "on"})
    assert DesiredConfig.load().outbound_proxy is True
    assert owner_client.get("/api/v1/tailscale").json()["outbound_proxy"]["enabled"] is True


@pytest.mark.django_db
def test_the_owners_choice_wins_over_the_env_default(token_client, settings):
    settings.TAILSCALE_OUTBOUND_PROXY = True
    body = token_client.patch(
        "/api/v1/tailscale", {"outbound_proxy": False}, content_type="application/json"
    ).json()
    assert body["outbound_proxy"]["enabled"] is False
    assert DesiredConfig.load().outbound_proxy is False


@pytest.mark.django_db
def test_the_app_is_told_where_to_turn_it_on():
    with pytest.raises(OutboundProxyOff, match="Outbound proxy' under Advanced"):
        tailnet_http_client()
