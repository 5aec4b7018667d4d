"""`manage.py generate_state_key` prints a usable, fresh key."""

from io import StringIO

from django.core.management import call_command

from tailscale_sidecar.state.crypto import get_cipher


def generate() -> str:
    out = StringIO()
    call_command("generate_state_key", stdout=out)
    return out.getvalue().strip()


def test_it_prints_a_key_that_encrypts(settings):
    key = generate()
    settings.TAILSCALE_STATE_KEYS = [key]

    assert get_cipher().decrypt(get_cipher().encrypt(b"{}")) == b"{}"


def test_every_key_is_new():
    assert generate() != generate()
