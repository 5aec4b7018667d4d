from tailscale_sidecar.localapi import default_prefs


def test_it_starts_with_complete_default_prefs_and_patches_one_field(client):
    client.start(default_prefs(Hostname="web-1"))
    prefs = client.prefs()
    assert prefs["CorpDNS"] is True
    assert prefs["NetfilterMode"] == 2
    assert prefs["NoStatefulFiltering"] is True
    assert prefs["AutoUpdate"] == {"Check": True, "Apply": None}
    assert prefs["WantRunning"] is True
    assert prefs["Hostname"] == "web-1"

    patched = client.patch_prefs({"Hostname": "web-2"})

    assert patched["Hostname"] == "web-2"
    assert {k: v for k, v in patched.items() if k != "Hostname"} == {
        k: v for k, v in prefs.items() if k != "Hostname"
    }
    assert client.prefs()["Hostname"] == "web-2"
