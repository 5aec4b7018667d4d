"""whois resolves the tailnet IPs of nodes in the same fake tailnet."""

from tests.fixtures.simulator import log_in


def test_whois_finds_a_peer_and_reports_misses(fake_tailscaled_factory, fake_control):
    key = fake_control.create_auth_key(reusable=True)
    me = fake_tailscaled_factory().start()
    log_in(me, fake_control, hostname="me", auth_key=key)
    peer = log_in(fake_tailscaled_factory().start(), fake_control, hostname="peer", auth_key=key)
    peer_v4, peer_v6 = peer["TailscaleIPs"]

    for addr in (peer_v4, f"{peer_v4}:443", f"[{peer_v6}]:80"):
        found = me.get(f"/localapi/v0/whois?addr={addr}")
        assert found.status_code == 200
        assert found.json()["Node"]["StableID"] == peer["Self"]["ID"]
        assert found.json()["UserProfile"]["LoginName"] == "owner@example.com"
    assert found.json()["Node"]["Addresses"] == [f"{peer_v4}/32", f"{peer_v6}/128"]

    misses = {
        "": (400, "missing 'addr' parameter\n"),
        "?addr=nonsense": (400, "invalid 'addr' parameter\n"),
        "?addr=100.64.0.99:80": (404, "no match for IP:port\n"),
    }
    for query, expected in misses.items():
        response = me.get(f"/localapi/v0/whois{query}")
        assert (response.status_code, response.text) == expected
