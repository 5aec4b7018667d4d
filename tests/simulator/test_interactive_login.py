"""Interactive login: start, login-interactive, consent page, bus sequence, Running."""

import httpx

from tests.fixtures.simulator import BusRecorder, log_in, post, running_prefs, status


def test_interactive_login_reaches_running(fake_tailscaled_factory, fake_control):
    daemon = fake_tailscaled_factory().start()
    with BusRecorder(daemon) as bus:
        prefs = running_prefs(fake_control.url, Hostname="Web_1")
        assert post(daemon, "start", {"AuthKey": "", "UpdatePrefs": prefs}).status_code == 204
        assert status(daemon)["BackendState"] == "NeedsLogin"
        assert post(daemon, "login-interactive").status_code == 204
        url = bus.wait_for(lambda m: m["BrowseToURL"])["BrowseToURL"]
        assert url.startswith(fake_control.url + "/a/")
        assert status(daemon)["AuthURL"] == url
        page = httpx.get(url, trust_env=False)
        assert "<title>Tailscale — Connect device</title>" in page.text
        assert '<form method="post"' in page.text and "<button" in page.text
        assert "Web_1" in page.text and "Simulated tailnet" in page.text
        fake_control.consent(url)
        assert "Device connected" in httpx.get(url, trust_env=False).text
        bus.wait_for(lambda m: m["State"] == 6)

    kinds = []
    for message in bus.messages:
        if message["LoginFinished"] == {}:
            kinds.append("LoginFinished")
        elif message["Prefs"] and message["Prefs"]["Config"]:
            kinds.append("Prefs")
        elif "SelfChange" in message:
            kinds.append("SelfChange")
        elif message["State"] in (5, 6):
            kinds.append(message["State"])
    assert kinds == ["LoginFinished", "Prefs", "SelfChange", 5, 6]

    running = status(daemon)
    node = fake_control.nodes()[0]
    assert running["AuthURL"] == ""
    assert running["HaveNodeKey"] is True
    assert running["Health"] == []
    assert running["TailscaleIPs"] == node["ips"]
    assert running["Self"]["ID"] == node["id"]
    assert running["Self"]["HostName"] == "Web_1"
    assert running["Self"]["DNSName"] == "web-1.tail1234.ts.net."
    assert running["Self"]["KeyExpiry"].endswith("Z")
    assert running["CurrentTailnet"] == {
        "Name": "example.com",
        "MagicDNSSuffix": "tail1234.ts.net",
        "MagicDNSEnabled": True,
    }
    prefs = daemon.get("/localapi/v0/prefs").json()
    assert prefs["LoggedOut"] is False
    assert prefs["Config"]["PrivateNodeKey"] == "privkey:" + "0" * 64  # zeroed in the API


def test_an_unknown_consent_code_is_404(fake_control):
    with httpx.Client(trust_env=False) as client:
        assert client.get(fake_control.url + "/a/0123abcd").status_code == 404
        assert client.post(fake_control.url + "/a/0123abcd").status_code == 404
        assert client.get(fake_control.url + "/healthz").text == "ok"


def test_a_second_node_with_the_same_name_gets_a_suffix(fake_tailscaled_factory, fake_control):
    first = log_in(fake_tailscaled_factory().start(), fake_control, hostname="web")
    second = log_in(fake_tailscaled_factory().start(), fake_control, hostname="WEB")
    assert first["Self"]["DNSName"] == "web.tail1234.ts.net."
    assert second["Self"]["DNSName"] == "web-1.tail1234.ts.net."
