"""Exceptions raised by the LocalAPI client, and the mapping from HTTP errors.

tailscaled answers errors in several shapes depending on the endpoint: Go's
plain-text `http.Error` for most, `{"Error": …}` for PATCH prefs and
`{"error": …}` for a few others. Every shape ends up as the daemon's own
message on one of these classes, chosen by status code.
"""

from __future__ import annotations

import json

import httpx


class LocalAPIError(Exception):
    """tailscaled refused a request, or could not be asked at all."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        if self.status is None:
            return self.message
        return f"{self.message} (HTTP {self.status})"


class AccessDenied(LocalAPIError):
    """403: the caller lacks write access, or Host/Referer/Origin was refused."""


class NotFound(LocalAPIError):
    """404: unknown endpoint, or whois found no peer for the address."""


class PreconditionFailed(LocalAPIError):
    """412: e.g. a stale ETag on serve-config."""


class DaemonUnreachable(LocalAPIError):
    """The socket is missing, refuses connections, or the connection broke."""


class LocalAPITimeout(LocalAPIError):
    """tailscaled accepted the connection but did not answer in time."""


_CLASS_BY_STATUS: dict[int, type[LocalAPIError]] = {
    403: AccessDenied,
    404: NotFound,
    412: PreconditionFailed,
}


def json_error(parsed: object) -> str:
    """The message of a JSON `{"error"|"Error": …}` object ("" when there is none)."""
    if isinstance(parsed, dict):
        # Go decodes JSON keys case-insensitively; so does this.
        for key, value in parsed.items():
            if key.lower() == "error" and isinstance(value, str) and value:
                return value
    return ""


def error_message(body: bytes) -> str:
    """The daemon's message from a JSON `{"error"|"Error": …}` or a text body."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    return json_error(parsed) or text


def error_for_status(status: int, body: bytes) -> LocalAPIError:
    """The exception for an HTTP error status and its body."""
    cls = _CLASS_BY_STATUS.get(status, LocalAPIError)
    message = error_message(body) or httpx.codes.get_reason_phrase(status)
    return cls(message, status=status)
