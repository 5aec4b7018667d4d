"""watch-ipn-bus: mask validation, quiet mask=0 streams, Initial* snapshots."""

import pytest

from tests.fixtures.simulator import BusRecorder, post, running_prefs


@pytest.fixture
def daemon(fake_tailscaled_factory):
    return fake_tailscaled_factory().start()


@pytest.mark.parametrize(
    ("mask", "error"),
    [
        ("abc", "bad mask"),
        ("65536", "NotifyInProcessNoDisconnect is not allowed over LocalAPI"),
        (str(256 | 16384), "NotifyRateLimit cannot be combined with the requested notify options"),
    ],
)
def test_it_refuses_bad_masks(daemon, mask, error):
    response = daemon.get(f"/localapi/v0/watch-ipn-bus?mask={mask}")
    assert response.status_code == 400
    assert response.text == error + "\n"


def test_mask_zero_sends_nothing_until_an_event(daemon, fake_control):
    with BusRecorder(daemon, mask=0) as bus:
        assert bus.status_code == 200  # headers arrived with no message
        assert (
            post(daemon, "start", {"UpdatePrefs": running_prefs(fake_control.url)}).status_code
            == 204
        )
        bus.wait_for(lambda m: m["State"] == 2 or m.get("Health"))
    first = bus.messages[0]
    assert first["Prefs"]["WantRunning"] is True
    assert list(first)[:5] == ["Version", "ErrMessage", "LoginFinished", "State", "Prefs"]
    assert first["State"] is None and first["BrowseToURL"] is None and first["NetMap"] is None
    assert all(m["Version"] == "1.102.3-tfake-gsim" for m in bus.messages)


def test_initial_bits_give_a_snapshot_first(daemon):
    with BusRecorder(daemon, mask=2 | 4 | 128 | 16384) as bus:
        snapshot = bus.wait_for(lambda m: True)
    assert snapshot["SessionID"]
    assert snapshot["State"] == 2  # an integer on the bus
    assert snapshot["Prefs"]["WantRunning"] is False
    assert "wantrunning-false" in snapshot["Health"]["Warnings"]
    assert snapshot["InitialStatus"]["BackendState"] == "NeedsLogin"
