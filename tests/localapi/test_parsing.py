"""Defensive parsing of the daemon's JSON (pure data: no socket needed)."""

from datetime import UTC, datetime

import pytest

from tailscale_sidecar.localapi import BackendState, Notify, Status, default_prefs
from tailscale_sidecar.localapi.errors import error_message


def test_it_maps_bus_integers_and_status_strings_to_one_enum():
    assert BackendState.from_int(2) is BackendState.NeedsLogin
    assert BackendState.from_int(6) is BackendState.from_str("Running")
    with pytest.raises(ValueError):
        BackendState.from_int(7)
    with pytest.raises(ValueError):
        BackendState.from_str("Bogus")


def test_it_tolerates_nulls_and_unknown_fields_in_status():
    status = Status.from_json(
        {
            "BackendState": "NeedsLogin",
            "TailscaleIPs": None,
            "CurrentTailnet": None,
            "Health": None,
            "Self": {"ID": "", "KeyExpiry": "0001-01-01T00:00:00Z", "FutureField": 1},
            "SomethingNew": {"x": 1},
        }
    )
    assert status.tailscale_ips == []
    assert status.health == []
    assert status.tailnet_name == ""
    assert status.self_node.key_expiry is None
    assert status.raw["SomethingNew"] == {"x": 1}


def test_it_reads_key_expiry_as_an_aware_datetime():
    status = Status.from_json({"Self": {"KeyExpiry": "2027-02-01T10:00:00Z"}})
    assert status.self_node.key_expiry == datetime(2027, 2, 1, 10, tzinfo=UTC)


def test_it_reads_a_bus_line_with_null_fields():
    notify = Notify.from_json(
        {"Version": "1.102.3", "ErrMessage": None, "LoginFinished": {}, "State": 6, "Prefs": None}
    )
    assert notify.state is BackendState.Running
    assert notify.login_finished
    assert notify.err_message is None
    assert notify.prefs is None
    assert Notify.from_json({"Version": "1.102.3", "State": None}).state is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"invalid localapi request\n", "invalid localapi request"),
        (b'{"Error":"can\'t set Internal fields"}\n', "can't set Internal fields"),
        (b'{"error":"backend not ready"}', "backend not ready"),
    ],
    ids=["text", "Error", "error"],
)
def test_it_takes_the_message_from_every_error_body_shape(body, message):
    assert error_message(body) == message


def test_it_refuses_an_unknown_prefs_field():
    with pytest.raises(TypeError, match="hostname"):
        default_prefs(hostname="web-1")
