"""Strip secrets from text before it is logged or stored.

tailscaled's output and LocalAPI errors can carry auth keys, private keys and
one-time login URLs. Anything that leaves the supervisor (its log, the
`log_tail` shown on the page) goes through `redact` first.
"""

from __future__ import annotations

import re

REDACTED = "[REDACTED]"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Auth keys, OAuth client secrets and API tokens: tskey-<type>-<id>-<secret>.
    (re.compile(r"tskey-[A-Za-z0-9_-]+"), "tskey-" + REDACTED),
    # WireGuard, machine, disco and tailnet-lock private keys.
    (re.compile(r"\b(privkey|nlpriv|discopriv|mkey-priv):[0-9a-fA-F]+"), r"\1:" + REDACTED),
    # The code in a login URL is a bearer secret until it is used.
    (re.compile(r"(https?://[^\s\"'<>]*?/a/)[A-Za-z0-9_-]+"), r"\1" + REDACTED),
    (re.compile(r"(https?://[^\s\"'<>]*?[?&](?:code|token|key)=)[^\s&\"'<>]+"), r"\1" + REDACTED),
    # Authorization headers (Basic, Bearer, ...), whatever their scheme.
    (
        re.compile(r"(authorization\"?\s*[:=]\s*\"?)(?:[A-Za-z]+\s+)?[^\s\",]+", re.IGNORECASE),
        r"\1" + REDACTED,
    ),
]


def redact(text: str) -> str:
    """Return `text` with auth keys, private keys, login codes and credentials masked."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
