import httpx
import pytest

from tailscale_sidecar.localapi import BackendState


@pytest.mark.parametrize(
    ("base_url", "headers"),
    [
        ("http://localhost", {}),
        ("http://local-tailscaled.sock", {"Referer": "http://local-tailscaled.sock/"}),
        ("http://local-tailscaled.sock", {"Origin": "http://evil.example"}),
    ],
    ids=["wrong-host", "referer", "origin"],
)
def test_it_sends_what_the_daemon_accepts_where_raw_requests_fail(
    daemon, client, base_url, headers
):
    transport = httpx.HTTPTransport(uds=str(daemon.socket_path))
    with httpx.Client(transport=transport, base_url=base_url, timeout=10) as raw:
        refused = raw.get("/localapi/v0/status", headers=headers)

    assert refused.status_code == 403
    assert refused.text == "invalid localapi request\n"
    assert client.status().backend_state is BackendState.NeedsLogin
