"""Only a JSON object of base64 strings (what tailscaled writes) is a state file."""

import pytest

from tailscale_sidecar.state.store import InvalidState, validate_state

from .helpers import make_state, state_has_identity


def test_it_accepts_a_logged_in_state():
    state = validate_state(make_state())

    assert set(state) == {"_machinekey", "_current-profile", "_profiles", "profile-a1b2"}


def test_it_accepts_the_empty_object_of_a_fresh_node():
    assert validate_state(b"{}") == {}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"\x00\xff\xfe garbage", "not JSON"),
        (b'{"_machinekey": "cHJpdm', "not JSON"),
        (b"[]", "list"),
        (b'"e30="', "str"),
        (b"null", "NoneType"),
        (b'{"_machinekey": 42}', "not a base64 string"),
        (b'{"_machinekey": null}', "not a base64 string"),
        (b'{"_machinekey": "privkey:abc"}', "not valid base64"),
        (b'{"_profiles": "e30"}', "not valid base64"),
    ],
    ids=[
        "empty",
        "whitespace",
        "binary",
        "truncated",
        "array",
        "string",
        "null",
        "number-value",
        "null-value",
        "plain-text-value",
        "unpadded-value",
    ],
)
def test_it_rejects_what_tailscaled_would_not_write(data, reason):
    with pytest.raises(InvalidState, match=reason):
        validate_state(data)


def test_the_reason_never_contains_the_value():
    with pytest.raises(InvalidState) as excinfo:
        validate_state(b'{"_machinekey": "privkey:0123456789abcdef"}')

    assert "0123456789abcdef" not in str(excinfo.value)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({}, False),
        ({"_machinekey": "eA=="}, True),
        ({"profile-a1b2": "eA=="}, True),
        ({"_current-profile": "eA==", "_profiles": "e30="}, False),
    ],
    ids=["fresh", "machine-key", "profile", "logged-out-without-keys"],
)
def test_the_fault_tests_identity_check_tells_a_node_from_a_blank_one(state, expected):
    assert state_has_identity(state) is expected
