"""OAuth client secrets turned into one-off auth keys, as `tailscale up` does.

tailscaled sends whatever auth key it is given to control, and control does
not take an OAuth client secret (`tskey-client-…`) as one: the `tailscale`
CLI resolves it before `start` (feature/oauthkey in Tailscale's source). The
supervisor does the same, only when a login needs a key: a client-credentials
token from `<api>/api/v2/oauth/token`, then `POST <api>/api/v2/tailnet/-/keys`
for a one-off key carrying the node's tags that expires in ten minutes. The
minted key goes straight to `start`; it is never stored or logged.

Two ways to give a client secret, with different defaults:
- `TAILSCALE_OAUTH_CLIENT_SECRET` (this app's settings): ephemeral off, so the
  node keeps its identity across restarts; preauthorized on.
- an auth key in the CLI's form, `tskey-client-…[?ephemeral=…&preauthorized=…&baseURL=…]`
  (`TAILSCALE_AUTHKEY`, the page, the API): the CLI's defaults, ephemeral on
  and preauthorized off.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import httpx
from django.conf import settings

from tailscale_sidecar.supervisor.redact import redact

log = logging.getLogger(__name__)

CLIENT_SECRET_PREFIX = "tskey-client-"  # noqa: S105 (a prefix, not a secret)
KEY_EXPIRY_SECONDS = 600
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
ATTRIBUTES = ("ephemeral", "preauthorized", "baseURL")
# Go's strconv.ParseBool, which the CLI uses for these attributes.
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}

MISSING_TAGS = (
    "An OAuth client secret can only mint tagged auth keys: set TAILSCALE_TAGS "
    "(or the tags on the page), e.g. TAILSCALE_TAGS=tag:tracearr."
)
TAGS_HINT = (
    "Hint: an OAuth client may only mint keys with the tags it was given, or tags those own "
    "in the policy's tagOwners; check the client's tags and tagOwners for {tags}."
)


class OAuthKeyError(Exception):
    """A client secret that can't be used, or the API's refusal: the message says what to fix."""


@dataclass(frozen=True)
class OAuthClient:
    secret: str = field(repr=False)
    api_url: str
    ephemeral: bool
    preauthorized: bool
    client_id: str = ""


def is_client_secret(key: str) -> bool:
    return key.startswith(CLIENT_SECRET_PREFIX)


def _bool_attribute(attrs: dict[str, str], name: str, default: bool) -> bool:
    value = attrs.get(name, "")
    if value == "":
        return default
    if value not in _TRUE | _FALSE:
        raise OAuthKeyError(f'"{name}={value}" after the OAuth client secret is not true or false.')
    return value in _TRUE


def _api_url(value: str, name: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OAuthKeyError(f"{name} {value!r} is not an http:// or https:// URL.")
    return value.rstrip("/")


def parse_client_secret(key: str, api_url: str) -> OAuthClient:
    """The CLI's form `tskey-client-…[?ephemeral=…&preauthorized=…&baseURL=…]`, its defaults.

    `api_url` stands in when there is no baseURL. Raises OAuthKeyError.
    """
    secret, _, query = key.partition("?")
    attrs: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name not in ATTRIBUTES:
            raise OAuthKeyError(
                f'Unknown attribute "{name}" after the OAuth client secret: '
                "only ephemeral, preauthorized and baseURL are allowed."
            )
        attrs[name] = value
    return OAuthClient(
        secret=secret,
        api_url=_api_url(attrs.get("baseURL") or api_url, "baseURL"),
        ephemeral=_bool_attribute(attrs, "ephemeral", True),
        preauthorized=_bool_attribute(attrs, "preauthorized", False),
    )


def configured_client() -> OAuthClient | None:
    """The client from TAILSCALE_OAUTH_CLIENT_SECRET and friends, if one is set."""
    secret = settings.TAILSCALE_OAUTH_CLIENT_SECRET
    if not secret:
        return None
    return OAuthClient(
        secret=secret,
        api_url=_api_url(settings.TAILSCALE_API_URL, "TAILSCALE_API_URL"),
        ephemeral=settings.TAILSCALE_OAUTH_EPHEMERAL,
        preauthorized=settings.TAILSCALE_OAUTH_PREAUTHORIZED,
        client_id=settings.TAILSCALE_OAUTH_CLIENT_ID,
    )


def login_key(auth_key: str, tags: Sequence[str]) -> str:
    """The key for `start`: `auth_key` itself, or one minted from an OAuth client.

    A client secret given as the auth key wins over TAILSCALE_OAUTH_CLIENT_SECRET,
    which is used only when there is no auth key. Raises OAuthKeyError.
    """
    if is_client_secret(auth_key):
        return mint_key(parse_client_secret(auth_key, settings.TAILSCALE_API_URL), tags)
    client = None if auth_key else configured_client()
    return auth_key if client is None else mint_key(client, tags)


def makes_ephemeral_node(auth_key: str) -> bool:
    """Whether a login with `auth_key` (as `login_key` reads it) makes an ephemeral node.

    Only an OAuth client says so here (it mints the key); a plain auth key's
    ephemeral flag lives at control, so TAILSCALE_EPHEMERAL says it for those.
    """
    if is_client_secret(auth_key):
        try:
            return parse_client_secret(auth_key, settings.TAILSCALE_API_URL).ephemeral
        except OAuthKeyError:
            return False
    client = None if auth_key else configured_client()
    return client.ephemeral if client is not None else settings.TAILSCALE_EPHEMERAL


def _refusal(what: str, response: httpx.Response, tags: Sequence[str]) -> OAuthKeyError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    message = ""
    if isinstance(body, dict):
        found = body.get("message") or body.get("error_description") or body.get("error")
        message = str(found or "")
    message = redact(message or response.text[:200] or response.reason_phrase).rstrip(".")
    hint = TAGS_HINT.format(tags=", ".join(tags))
    return OAuthKeyError(
        f"The Tailscale API refused {what} (HTTP {response.status_code}): {message}. {hint}"
    )


def mint_key(client: OAuthClient, tags: Sequence[str]) -> str:
    """A one-off auth key with `tags`, valid for ten minutes. Raises OAuthKeyError."""
    if not tags:
        raise OAuthKeyError(MISSING_TAGS)
    token_form = {"grant_type": "client_credentials", "client_secret": client.secret}
    if client.client_id:
        token_form["client_id"] = client.client_id
    request = {
        "capabilities": {
            "devices": {
                "create": {
                    "reusable": False,
                    "ephemeral": client.ephemeral,
                    "preauthorized": client.preauthorized,
                    "tags": list(tags),
                }
            }
        },
        "expirySeconds": KEY_EXPIRY_SECONDS,
    }
    try:
        with httpx.Client(base_url=client.api_url, timeout=TIMEOUT) as http:
            response = http.post("/api/v2/oauth/token", data=token_form)
            if response.status_code != 200:
                raise _refusal("the OAuth client secret", response, tags)
            token = response.json().get("access_token", "")
            headers = {"Authorization": f"Bearer {token}"}
            response = http.post("/api/v2/tailnet/-/keys", json=request, headers=headers)
            if response.status_code != 200:
                raise _refusal("an auth key for this node", response, tags)
            key = response.json().get("key", "")
    except httpx.HTTPError as exc:
        raise OAuthKeyError(
            f"Can't reach the Tailscale API at {client.api_url} to mint an auth key "
            f"({type(exc).__name__}: {redact(str(exc))}); check TAILSCALE_API_URL."
        ) from None
    except ValueError:
        raise OAuthKeyError(
            f"The Tailscale API at {client.api_url} answered with bad JSON."
        ) from None
    if not isinstance(key, str) or not key.startswith("tskey-"):
        raise OAuthKeyError(f"The Tailscale API at {client.api_url} answered without a key.")
    log.info(
        "minted a one-off auth key from the OAuth client (tags %s, ephemeral %s, preauthorized %s)",
        ",".join(tags),
        client.ephemeral,
        client.preauthorized,
    )
    return key
