"""A changed token never decrypts: the HMAC catches every flipped byte."""

import base64

import pytest

from tailscale_sidecar.state.crypto import StateKeyError, get_cipher


@pytest.mark.parametrize("position", [0, 9, 30, -40, -1])
def test_it_rejects_a_tampered_token(state_key, position):
    cipher = get_cipher()
    raw = bytearray(base64.urlsafe_b64decode(cipher.encrypt(b'{"_machinekey":"eA=="}')))
    raw[position] ^= 0x01
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode()

    with pytest.raises(StateKeyError):
        cipher.decrypt(tampered)


def test_it_rejects_a_truncated_token(state_key):
    cipher = get_cipher()
    token = cipher.encrypt(b"{}")

    with pytest.raises(StateKeyError):
        cipher.decrypt(token[:-8])
