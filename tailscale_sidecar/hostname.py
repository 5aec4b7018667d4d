"""Hostname templates: one setting names every instance of a fleet.

`TAILSCALE_HOSTNAME` and the page's hostname may hold placeholders:
`{id}` (this instance's short random id, made once and kept in the database),
`{host}` (the machine's hostname: a container or Fly Machine id) and
`{region}` (`FLY_REGION`, empty elsewhere). The rendered text becomes one DNS
label: lowercase, anything but a-z and 0-9 turned into "-", runs collapsed,
trimmed, at most 63 characters. Every start renders it the same way, so the
name is stable across restarts. A value without braces is a plain hostname,
used as given.
"""

from __future__ import annotations

import os
import re
import socket

PLACEHOLDERS = ("id", "host", "region")
MAX_LABEL = 63
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NOT_LABEL = re.compile(r"[^a-z0-9]+")


class TemplateError(ValueError):
    """A template that can't be rendered: the message says why."""


def is_template(value: str) -> bool:
    return "{" in value or "}" in value


def machine_values(instance_id: str) -> dict[str, str]:
    """What the placeholders stand for on this machine."""
    return {
        "id": instance_id,
        "host": socket.gethostname(),
        "region": os.environ.get("FLY_REGION", ""),
    }


def sanitize(text: str) -> str:
    """`text` as a DNS label ("" when nothing of it is left)."""
    return _NOT_LABEL.sub("-", text.lower()).strip("-")[:MAX_LABEL].rstrip("-")


def render(template: str, values: dict[str, str]) -> str:
    """The template with its placeholders filled in, as a DNS label. Raises TemplateError."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise TemplateError(f'"{{{name}}}" is not a placeholder: use {known}.')
        return values[name]

    text = _PLACEHOLDER.sub(fill, template)
    if is_template(text):
        raise TemplateError("A brace is not closed: placeholders look like {id}.")
    return sanitize(text)


def rendered_hostname(value: str, instance_id: str) -> str:
    """The node's name from a plain hostname or a template ("" when it renders empty)."""
    if not is_template(value):
        return value
    return render(value, machine_values(instance_id))
