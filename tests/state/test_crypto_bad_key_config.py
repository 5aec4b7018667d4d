"""A configured key that does not parse stops with its position, never its value."""

import pytest

from tailscale_sidecar.state.crypto import StateKeyError, generate_key, get_cipher


@pytest.mark.parametrize(
    "bad_key",
    ["not-a-key", "c2hvcnQ=", "x" * 44, "ü" * 44],
    ids=["garbage", "too-short", "bad-base64", "non-ascii"],
)
def test_it_names_the_position_of_a_bad_key_without_echoing_it(settings, bad_key):
    settings.TAILSCALE_STATE_KEYS = [generate_key(), bad_key]

    with pytest.raises(StateKeyError) as excinfo:
        get_cipher()

    message = str(excinfo.value)
    assert "key #2" in message
    assert "generate_state_key" in message
    assert bad_key not in message


def test_it_accepts_keys_from_a_comma_separated_string(settings):
    first, second = generate_key(), generate_key()
    settings.TAILSCALE_STATE_KEYS = [second]
    token = get_cipher().encrypt(b"x")
    settings.TAILSCALE_STATE_KEYS = f" {first} , {second} "

    assert get_cipher().decrypt(token) == b"x"
