"""What is encrypted comes back unchanged, and the token does not reveal it."""

import logging

import pytest

from tailscale_sidecar.state.crypto import DERIVED_KEY_WARNING, StateKeyError, get_cipher

from .helpers import make_state


def test_it_decrypts_what_it_encrypted(state_key):
    plaintext = make_state()
    cipher = get_cipher()

    token = cipher.encrypt(plaintext)

    assert isinstance(token, str)
    assert cipher.decrypt(token) == plaintext


def test_the_token_does_not_contain_the_plaintext(state_key):
    plaintext = b"privkey:" + b"ab" * 32

    token = get_cipher().encrypt(plaintext)

    assert "privkey" not in token
    assert "ab" * 32 not in token


def test_two_encryptions_of_the_same_plaintext_differ(state_key):
    cipher = get_cipher()

    assert cipher.encrypt(b"{}") != cipher.encrypt(b"{}")


def test_without_keys_it_uses_a_key_derived_from_secret_key_and_warns(settings, caplog):
    settings.TAILSCALE_STATE_KEYS = []
    settings.SECRET_KEY = "round-trip-test-secret-key-that-is-long-enough"

    with caplog.at_level(logging.WARNING, logger="tailscale_sidecar.state.crypto"):
        token = get_cipher().encrypt(b"{}")

    assert get_cipher().decrypt(token) == b"{}"
    assert DERIVED_KEY_WARNING in caplog.text
    assert caplog.text.count(DERIVED_KEY_WARNING) == 1


def test_the_derived_key_changes_with_secret_key(settings):
    settings.TAILSCALE_STATE_KEYS = []
    settings.SECRET_KEY = "first-secret-key-for-the-derived-key-test"
    token = get_cipher().encrypt(b"{}")
    settings.SECRET_KEY = "second-secret-key-for-the-derived-key-test"

    with pytest.raises(StateKeyError):
        get_cipher().decrypt(token)
