import pytest

from tailscale_sidecar.localapi import LocalAPIError, NotFound, default_prefs


def test_it_raises_the_patch_prefs_json_error_message(client):
    with pytest.raises(LocalAPIError) as raised:
        client.patch_prefs({"InternalExitNodePrior": "nSomeNodeCNTRL"})

    assert type(raised.value) is LocalAPIError
    assert raised.value.status == 400
    assert raised.value.message == "can't set Internal fields"


def test_it_raises_not_found_for_an_unknown_endpoint(client):
    # No public method names an unknown endpoint; the request helper does.
    with pytest.raises(NotFound) as raised:
        client._request("GET", "/localapi/v0/no-such-endpoint")

    assert raised.value.status == 404
    assert raised.value.message == "404 page not found"


def test_it_raises_not_found_when_whois_has_no_match(client):
    with pytest.raises(NotFound) as raised:
        client.whois("100.100.1.2:4242")

    assert raised.value.message == "no match for IP:port"


def test_it_returns_the_check_prefs_error_from_a_200(client):
    assert client.check_prefs(default_prefs(Hostname="badhostname.tailscale.")) == (
        "bad hostname [test]"
    )
    assert client.check_prefs(default_prefs(Hostname="web-1")) is None
