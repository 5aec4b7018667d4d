"""Key material in tailscaled's text forms. Public keys are derived with
SHA-256 instead of Curve25519: nothing here needs real cryptography."""

from __future__ import annotations

import hashlib
import secrets

ZERO_PRIVATE = "privkey:" + "0" * 64
ZERO_NODE_KEY = "nodekey:" + "0" * 64
ZERO_NL_KEY = "nlpriv:" + "0" * 64


def new_private() -> str:
    return "privkey:" + secrets.token_hex(32)


def public(private: str, kind: str) -> str:
    """`nodekey:`/`mkey:` public form of a `privkey:` value."""
    return f"{kind}:" + hashlib.sha256(private.encode()).hexdigest()
