"""A token encrypted under a key that is not configured fails with the fix to make."""

import pytest

from tailscale_sidecar.state.crypto import (
    WRONG_KEY_MESSAGE,
    StateKeyError,
    generate_key,
    get_cipher,
)


def test_it_names_the_fix_when_the_key_is_wrong(settings):
    settings.TAILSCALE_STATE_KEYS = [generate_key()]
    token = get_cipher().encrypt(b'{"_machinekey":"cHJpdmtleTo="}')
    settings.TAILSCALE_STATE_KEYS = [generate_key()]

    with pytest.raises(StateKeyError) as excinfo:
        get_cipher().decrypt(token)

    assert str(excinfo.value) == WRONG_KEY_MESSAGE
    assert "add the key it was encrypted with" in str(excinfo.value)


def test_it_rejects_a_token_that_is_not_a_token(state_key):
    with pytest.raises(StateKeyError):
        get_cipher().decrypt("not a fernet token")
