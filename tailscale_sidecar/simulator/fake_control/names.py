"""Turn a device hostname into a MagicDNS label, the way control does."""

from __future__ import annotations

import re

_TRIM_SUFFIXES = (".local", ".localdomain", ".lan")
_INVALID = re.compile(r"[^a-z0-9-]")


def sanitize_label(hostname: str) -> str:
    """Lower-case, invalid characters become '-', at most 63 characters."""
    name = hostname.strip()
    for suffix in _TRIM_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    name = _INVALID.sub("-", name.lower())[:63].strip("-")
    return name or "device"


def unique_label(wanted: str, taken: set[str]) -> str:
    """Add -1, -2, ... when another node already holds the label."""
    if wanted not in taken:
        return wanted
    n = 1
    while True:
        suffix = f"-{n}"
        candidate = wanted[: 63 - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1
