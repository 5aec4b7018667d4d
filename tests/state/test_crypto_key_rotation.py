"""Keys rotate: new key first, old keys still decrypt, and after rotate() only the new one is needed."""

import pytest

from tailscale_sidecar.state.crypto import StateKeyError, generate_key, get_cipher


def test_old_tokens_decrypt_while_the_old_key_stays_behind_the_new_one(settings):
    old, new = generate_key(), generate_key()
    settings.TAILSCALE_STATE_KEYS = [old]
    old_token = get_cipher().encrypt(b"old state")

    settings.TAILSCALE_STATE_KEYS = [new, old]

    assert get_cipher().decrypt(old_token) == b"old state"


def test_new_tokens_use_the_first_key(settings):
    old, new = generate_key(), generate_key()
    settings.TAILSCALE_STATE_KEYS = [new, old]
    token = get_cipher().encrypt(b"new state")

    settings.TAILSCALE_STATE_KEYS = [new]

    assert get_cipher().decrypt(token) == b"new state"


def test_a_rotated_token_decrypts_after_the_old_key_is_removed(settings):
    old, new = generate_key(), generate_key()
    settings.TAILSCALE_STATE_KEYS = [old]
    old_token = get_cipher().encrypt(b"state")
    settings.TAILSCALE_STATE_KEYS = [new, old]
    rotated = get_cipher().rotate(old_token)

    settings.TAILSCALE_STATE_KEYS = [new]

    assert get_cipher().decrypt(rotated) == b"state"
    with pytest.raises(StateKeyError):
        get_cipher().decrypt(old_token)
