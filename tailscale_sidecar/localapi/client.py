"""LocalAPIClient: tailscaled's LocalAPI over its unix socket, with httpx.

tailscaled refuses (403) any request whose Host is not `local-tailscaled.sock`
or that carries a Referer or Origin header, so the base URL uses that host and
no such header is ever set. One httpx.Client per LocalAPIClient keeps the
connection alive between calls. Every call has a timeout, except reading the
IPN bus body, which may legitimately stay silent for hours.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from .bus import IpnBusStream
from .datatypes import Status
from .errors import (
    DaemonUnreachable,
    LocalAPIError,
    LocalAPITimeout,
    error_for_status,
    json_error,
)
from .prefs import masked_prefs

logger = logging.getLogger(__name__)

BASE_URL = "http://local-tailscaled.sock"
API_PREFIX = "/localapi/v0"
# `start` first shuts the old control client down and may wait ~5 s for it;
# `logout` waits for control. Neither may share the short probe timeout.
SLOW_CALL_TIMEOUT = 15.0


class LocalAPIClient:
    def __init__(self, socket_path: str | Path, timeout: float = 5.0) -> None:
        self.socket_path = str(socket_path)
        self.timeout = timeout
        self._http = httpx.Client(
            # Plain HTTP on a unix socket: no TLS, so skip loading the CA
            # bundle, which costs about 100 ms per client.
            transport=httpx.HTTPTransport(uds=self.socket_path, verify=False),
            base_url=BASE_URL,
            timeout=timeout,
            headers={"User-Agent": "tracearr-tailscale-sidecar"},
            # Proxy and netrc settings from the environment must never apply here.
            trust_env=False,
        )

    def __enter__(self) -> LocalAPIClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- reads -------------------------------------------------------------

    def server_status(self) -> bool:
        """True once the backend serves requests; False while it is starting (503)."""
        response = self._request("GET", "/server-status", allowed_errors=(503,))
        return response.status_code == 200

    def ready(self) -> bool:
        """True once the backend serves requests.

        `/server-status` answers at once (503 until ready), but only in builds
        with the debug feature; elsewhere it is 404, and `status`, which
        blocks until the backend is ready, answers instead.
        """
        response = self._request("GET", "/server-status", allowed_errors=(404, 503))
        if response.status_code == 404:
            self.status()
            return True
        return response.status_code == 200

    def status(self, peers: bool = False) -> Status:
        response = self._request("GET", f"{API_PREFIX}/status", params=_peers_param(peers))
        return Status.from_json(_json(response))

    def prefs(self) -> dict[str, Any]:
        return _json_object(self._request("GET", f"{API_PREFIX}/prefs"))

    def whois(self, addr: str) -> dict[str, Any]:
        """The peer behind a tailnet IP, `IP:port` or nodekey; NotFound when none."""
        response = self._request("GET", f"{API_PREFIX}/whois", params={"addr": addr})
        return _json_object(response)

    def serve_config(self) -> tuple[dict[str, Any], str]:
        """The ServeConfig ({} when none) and its ETag, for `set_serve_config`."""
        response = self._request("GET", f"{API_PREFIX}/serve-config")
        body = _json(response)
        return (body if isinstance(body, dict) else {}), response.headers.get("Etag", "")

    # --- writes ------------------------------------------------------------

    def set_serve_config(self, config: dict[str, Any], etag: str) -> None:
        """Replace the whole ServeConfig if it is still the one `etag` names.

        Raises PreconditionFailed (412) when someone changed it since.
        """
        self._request("POST", f"{API_PREFIX}/serve-config", json=config, headers={"If-Match": etag})

    def patch_prefs(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Change only the given fields; returns the full new prefs."""
        response = self._request("PATCH", f"{API_PREFIX}/prefs", json=masked_prefs(changes))
        return _json_object(response)

    def check_prefs(self, prefs: dict[str, Any]) -> str | None:
        """The daemon's objection to `prefs`, or None when they are acceptable."""
        response = self._request("POST", f"{API_PREFIX}/check-prefs", json=prefs)
        body = _json(response) if response.content.strip() else {}
        return json_error(body) or None

    def start(
        self, prefs: dict[str, Any], auth_key: str = "", timeout: float = SLOW_CALL_TIMEOUT
    ) -> None:
        """Replace prefs wholesale and (re)start the backend; the key is never logged."""
        self._request(
            "POST",
            f"{API_PREFIX}/start",
            json={"AuthKey": auth_key, "UpdatePrefs": prefs},
            timeout=timeout,
        )

    def login_interactive(self) -> None:
        """Ask for an auth URL; it arrives later on the bus and in status.auth_url."""
        self._request("POST", f"{API_PREFIX}/login-interactive")

    def logout(self, timeout: float = SLOW_CALL_TIMEOUT) -> None:
        """Expire the node key at control; blocks until control answers."""
        self._request("POST", f"{API_PREFIX}/logout", timeout=timeout)

    # --- the IPN bus -------------------------------------------------------

    @contextlib.contextmanager
    def watch_ipn_bus(self, mask: int = 0) -> Iterator[IpnBusStream]:
        """Open the bus; yields an iterator of Notify that `.close()` ends from any thread.

        The response headers must arrive within the client timeout (tailscaled
        flushes them at once), but the body then has no read timeout.
        """
        request = self._http.build_request(
            "GET", f"{API_PREFIX}/watch-ipn-bus", params={"mask": str(mask)}
        )
        response = self._send(request, stream=True)
        try:
            _raise_for_status(response)
            # httpcore reads this dict when the body iteration begins, so
            # clearing the read timeout here affects only the body.
            request.extensions["timeout"]["read"] = None
            stream = IpnBusStream(response)
            try:
                yield stream
            finally:
                stream.close()
        finally:
            response.close()

    # --- plumbing ----------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        timeout: float | None = None,
        allowed_errors: tuple[int, ...] = (),
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        request = self._http.build_request(
            method,
            path,
            params=params,
            json=json,
            headers=headers,
            timeout=self.timeout if timeout is None else timeout,
        )
        response = self._send(request)
        if response.status_code not in allowed_errors:
            _raise_for_status(response)
        return response

    def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        # Only method and path are logged: bodies can carry auth keys.
        try:
            response = self._http.send(request, stream=stream)
        except httpx.TimeoutException as exc:
            raise LocalAPITimeout(
                f"tailscaled did not answer {request.method} {request.url.path} in time "
                f"({type(exc).__name__})"
            ) from exc
        except httpx.TransportError as exc:
            raise DaemonUnreachable(
                f"cannot reach tailscaled at {self.socket_path}: {exc or type(exc).__name__}"
            ) from exc
        logger.debug("%s %s -> %d", request.method, request.url.path, response.status_code)
        return response


def _peers_param(peers: bool) -> dict[str, str] | None:
    return None if peers else {"peers": "false"}


def _raise_for_status(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    body = b""
    try:
        body = response.read()
    except httpx.HTTPError:
        pass  # the status code alone still says what went wrong
    finally:
        response.close()
    raise error_for_status(response.status_code, body)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise LocalAPIError(
            f"tailscaled sent invalid JSON for {response.request.url.path}: {exc}",
            status=response.status_code,
        ) from exc


def _json_object(response: httpx.Response) -> dict[str, Any]:
    body = _json(response)
    if not isinstance(body, dict):
        raise LocalAPIError(
            f"tailscaled sent {type(body).__name__} instead of an object for "
            f"{response.request.url.path}",
            status=response.status_code,
        )
    return body
