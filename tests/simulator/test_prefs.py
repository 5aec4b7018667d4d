"""prefs, check-prefs and start: MaskedPrefs edits, wholesale replacement, Stopped."""

from tailscale_sidecar.simulator.harness import wait_for
from tests.fixtures.simulator import log_in, post, running_prefs, status, wait_for_state


def test_patch_changes_only_fields_with_their_set_flag(fake_tailscaled_factory):
    daemon = fake_tailscaled_factory().start()
    with daemon.client() as client:
        response = client.patch(
            "/localapi/v0/prefs",
            json={"Hostname": "web-1", "HostnameSet": True, "ShieldsUp": True},
        )
        assert response.status_code == 200
        assert response.text.startswith('{\n\t"ControlURL"')
        assert response.json()["Hostname"] == "web-1"
        assert response.json()["ShieldsUp"] is False  # no ShieldsUpSet

        refused = client.patch("/localapi/v0/prefs", json={"InternalExitNodePriorSet": True})
        assert (refused.status_code, refused.json()) == (
            400,
            {"Error": "can't set Internal fields"},
        )
        bad_json = client.patch("/localapi/v0/prefs", content=b"{")
        assert bad_json.status_code == 400 and "Error" in bad_json.json()


def test_check_prefs_answers_200_either_way(fake_tailscaled_factory, fake_control):
    daemon = fake_tailscaled_factory().start()
    good = post(daemon, "check-prefs", running_prefs(fake_control.url))
    assert (good.status_code, good.json()) == (200, {})
    bad = post(daemon, "check-prefs", running_prefs("", Hostname="badhostname.tailscale."))
    assert bad.status_code == 200 and bad.json()["Error"]


def test_start_replaces_prefs_wholesale(fake_tailscaled_factory, fake_control):
    daemon = fake_tailscaled_factory().start()
    partial = {"ControlURL": fake_control.url, "WantRunning": True}
    assert post(daemon, "start", {"UpdatePrefs": partial}).status_code == 204
    prefs = daemon.get("/localapi/v0/prefs").json()
    assert prefs["CorpDNS"] is False  # missing fields become zero values
    assert prefs["AutoUpdate"] == {"Check": False, "Apply": None}
    assert prefs["NetfilterMode"] == 0


def test_want_running_false_stops_and_true_runs_again(fake_tailscaled_factory, fake_control):
    daemon = fake_tailscaled_factory().start()
    log_in(daemon, fake_control, hostname="web")
    with daemon.client() as client:
        client.patch("/localapi/v0/prefs", json={"WantRunning": False, "WantRunningSet": True})
        stopped = wait_for_state(daemon, "Stopped")
        assert "Tailscale is stopped." in stopped["Health"]
        client.patch("/localapi/v0/prefs", json={"WantRunning": True, "WantRunningSet": True})
    wait_for_state(daemon, "Running")


def test_a_hostname_edit_reaches_control_and_the_dns_name(fake_tailscaled_factory, fake_control):
    daemon = fake_tailscaled_factory().start()
    log_in(daemon, fake_control, hostname="web")
    with daemon.client() as client:
        client.patch("/localapi/v0/prefs", json={"Hostname": "api", "HostnameSet": True})
    wait_for(lambda: status(daemon)["Self"]["DNSName"] == "api.tail1234.ts.net.", timeout=15)
    assert fake_control.nodes()[0]["hostname"] == "api"
