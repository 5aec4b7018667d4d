"""PATCH /api/v1/tailscale {"exit_node"}: one of the peers that offer an exit node, by name,
MagicDNS name, tailnet IP or ID; anything else is a 422 and changes nothing."""

import json

import pytest

from tailscale_sidecar.models import DesiredConfig

from .conftest import desired_snapshot

OPTIONS = [
    {
        "id": "nExit1CNTRL",
        "name": "exit-fra",
        "dns_name": "exit-fra.tail1234.ts.net",
        "ips": ["100.64.0.20", "fd7a:115c:a1e0::20"],
        "online": True,
    },
    {"id": "nExit2CNTRL", "name": "exit-nyc", "dns_name": "exit-nyc.tail1234.ts.net",
     "ips": ["100.64.0.21"], "online": False},
]  # fmt: skip


def patch(client, body):
    return client.patch("/api/v1/tailscale", json.dumps(body), content_type="application/json")


@pytest.fixture
def running(desired, observe):
    desired(enabled=True, hostname="web")
    observe(phase="running", node_id="nSelf", dns_name="web.tail1234.ts.net", exit_nodes=OPTIONS)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "given", ["exit-fra", "exit-fra.tail1234.ts.net.", "EXIT-FRA.tail1234.ts.net", "100.64.0.20",
              "fd7a:115c:a1e0::20", "nExit1CNTRL"],
)  # fmt: skip
def test_an_exit_node_is_chosen_by_any_of_its_names(token_client, running, given):
    answer = patch(token_client, {"exit_node": given, "exit_node_allow_lan_access": True})

    assert answer.status_code == 200, answer.content
    row = DesiredConfig.load()
    assert (row.exit_node, row.exit_node_allow_lan) == ("nExit1CNTRL", True)
    status = answer.json()
    assert status["exit_node"]["name"] == "exit-fra"
    assert status["exit_node"]["allow_lan_access"] is True
    # The exit node carries the outbound proxy's traffic: the proxy comes on with it.
    assert status["outbound_proxy"]["enabled"] is True
    assert [o["name"] for o in status["exit_nodes"]] == ["exit-fra", "exit-nyc"]


@pytest.mark.django_db
@pytest.mark.parametrize("given", ["nope", "web", "100.64.0.99", "exit", "nExit3CNTRL"])
def test_an_unknown_or_non_exit_peer_is_a_422_and_changes_nothing(token_client, running, given):
    before = desired_snapshot()

    answer = patch(token_client, {"exit_node": given, "hostname": "renamed"})

    assert answer.status_code == 422
    assert "offers an exit node" in answer.json()["errors"]["exit_node"]
    assert "exit-fra, exit-nyc" in answer.json()["errors"]["exit_node"]
    assert desired_snapshot() == before


@pytest.mark.django_db
def test_null_clears_it_and_leaving_it_out_keeps_it(token_client, running):
    patch(token_client, {"exit_node": "exit-nyc"})
    patch(token_client, {"hostname": "other"})
    assert DesiredConfig.load().exit_node == "nExit2CNTRL"

    answer = patch(token_client, {"exit_node": None})

    assert answer.status_code == 200
    assert DesiredConfig.load().exit_node == ""
    assert answer.json()["exit_node"] is None


@pytest.mark.django_db
def test_a_wrong_type_is_a_422(token_client, running):
    assert patch(token_client, {"exit_node": 5}).status_code == 422
    assert patch(token_client, {"exit_node_allow_lan_access": "yes"}).status_code == 422


@pytest.mark.django_db
def test_the_page_offers_the_exit_nodes_and_says_when_traffic_does_not_get_through(
    owner_client, running, observe
):
    owner_client.post("/settings/tailscale/exit-node/", {"exit_node": "nExit1CNTRL"})
    observe(
        exit_node_status={"id": "nExit1CNTRL", "online": True},
        exit_node_error="Exit node exit-fra is selected but traffic does not get through (x).",
    )
    page = owner_client.get("/settings/tailscale/").content.decode()
    assert '<option value="nExit1CNTRL" selected>exit-fra</option>' in page
    assert '<option value="nExit2CNTRL">exit-nyc (offline)</option>' in page
    assert 'data-field="exit_node">exit-fra' in page and "(online, in use)" in page
    assert "traffic does not get through" in page
