"""The state file: format, permissions, atomic writes, and writes only on change."""

import base64
import json
import stat

from tests.fixtures.simulator import log_in, post, running_prefs


def decoded(path) -> dict[str, bytes]:
    return {k: base64.b64decode(v) for k, v in json.loads(path.read_text()).items()}


def test_a_fresh_node_writes_an_empty_object(fake_tailscaled_factory):
    daemon = fake_tailscaled_factory().start()
    assert daemon.state_path.read_text() == "{}"
    assert stat.S_IMODE(daemon.state_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(daemon.state_dir.stat().st_mode) == 0o700


def test_before_login_only_the_machine_key_is_stored(fake_tailscaled_factory, fake_control):
    daemon = fake_tailscaled_factory().start()
    prefs = running_prefs(fake_control.url, Hostname="not-yet")
    assert post(daemon, "start", {"UpdatePrefs": prefs}).status_code == 204
    values = decoded(daemon.state_path)
    assert list(values) == ["_machinekey"]
    assert values["_machinekey"].startswith(b"privkey:") and len(values["_machinekey"]) == 72


def test_login_stores_the_profile(fake_tailscaled_factory, fake_control):
    daemon = fake_tailscaled_factory().start()
    running = log_in(daemon, fake_control, hostname="web")
    text = daemon.state_path.read_text()
    assert text.startswith('{\n  "_current-profile": ')
    values = decoded(daemon.state_path)
    profile_key = values["_current-profile"].decode()
    assert profile_key.startswith("profile-") and len(profile_key) == len("profile-") + 4
    assert set(values) == {"_current-profile", "_machinekey", "_profiles", profile_key}
    prefs = json.loads(values[profile_key])
    assert prefs["Config"]["PrivateNodeKey"].startswith("privkey:")
    assert prefs["Config"]["PrivateNodeKey"] != "privkey:" + "0" * 64
    assert prefs["Config"]["NodeID"] == running["Self"]["ID"]
    profiles = json.loads(values["_profiles"])
    assert profiles[profile_key.removeprefix("profile-")]["Key"] == profile_key


def test_it_rewrites_atomically_and_only_on_change(fake_tailscaled_factory, fake_control):
    daemon = fake_tailscaled_factory().start()
    log_in(daemon, fake_control, hostname="web")
    inode = daemon.state_path.stat().st_ino

    with daemon.client() as client:
        same = client.patch("/localapi/v0/prefs", json={"Hostname": "web", "HostnameSet": True})
        assert same.status_code == 200
        assert daemon.state_path.stat().st_ino == inode  # nothing changed, nothing written

        changed = client.patch("/localapi/v0/prefs", json={"ShieldsUp": True, "ShieldsUpSet": True})
        assert changed.json()["ShieldsUp"] is True
    assert daemon.state_path.stat().st_ino != inode  # a new file renamed over the old
    assert stat.S_IMODE(daemon.state_path.stat().st_mode) == 0o600
    assert [p.name for p in daemon.state_dir.iterdir()] == ["tailscaled.state"]
    profile = decoded(daemon.state_path)
    assert json.loads(profile[profile["_current-profile"].decode()])["ShieldsUp"] is True
