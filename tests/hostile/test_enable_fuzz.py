"""Generated hostnames, tags, auth keys and control URLs through POST /api/v1/tailscale/enable.

Every value the validator refuses gets 422 naming the field, and DesiredConfig
is left exactly as it was; every value it accepts is stored as cleaned.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tailscale_sidecar import validation
from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.state.crypto import get_cipher

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

nasty = st.sampled_from(
    [
        "",
        " ",
        "-",
        "a-",
        "-a",
        "a_b",
        "a.b",
        "ünïcode",
        "x" * 64,
        "<script>",
        "a\x00b",
        "tag:",
        "tag:1x",
        "tag:a b",
        "javascript:alert(1)",
        "http://evil.example",
        "https://user:pw@example.com",
        "https://example.com/?q=1",
        "ftp://example.com",
        "tskey-api-abc",
        "tskey-auth-",
        "tskey-auth-a b",
        "tskey-client-x",
        "x" * 300,
        "file:///etc/passwd",
        "http://10.0.0.1",
    ]
)
hostnames = st.one_of(
    nasty, st.text(max_size=70), st.from_regex(r"[A-Za-z0-9-]{1,63}", fullmatch=True)
)
tags = st.lists(
    st.one_of(
        nasty, st.text(max_size=20), st.from_regex(r"tag:[a-z][a-z0-9-]{0,10}", fullmatch=True)
    ),
    max_size=18,
)
auth_keys = st.one_of(
    nasty,
    st.text(max_size=40),
    st.from_regex(r"tskey-(auth|client)-[A-Za-z0-9]{1,40}", fullmatch=True),
)
control_urls = st.one_of(
    nasty,
    st.text(max_size=40),
    st.sampled_from(
        ["https://hs.example.com", "http://127.0.0.1:8080", "https://login.example.org/"]
    ),
)


def snapshot() -> dict:
    row = DesiredConfig.load()
    return {
        f.name: getattr(row, f.name) for f in DesiredConfig._meta.fields if f.name != "updated_at"
    }


def expected(field: str, value, tag_list):
    """What the validator makes of one field: (ok, cleaned)."""
    try:
        if field == "hostname":
            return True, validation.validate_hostname(value)
        if field == "tags":
            return True, validation.validate_tags(value)
        if field == "control_url":
            return True, validation.validate_control_url(value)
        return True, validation.validate_auth_key(value, tag_list)
    except ValidationError:
        return False, None


def check(client, field: str, value, tag_list=()):
    if field != "hostname":
        # A first enable needs a hostname: judge only the field under test.
        DesiredConfig.update(hostname="web-1")
    before = snapshot()
    response = client.post(
        "/api/v1/tailscale/enable", {field: value}, content_type="application/json"
    )
    ok, cleaned = expected(field, value, list(tag_list))
    if not ok:
        assert response.status_code == 422, (value, response.content)
        body = response.json()
        assert field in body["errors"] and body["errors"][field].strip()
        assert snapshot() == before
        return
    assert response.status_code == 200, (value, response.content)
    row = DesiredConfig.load()
    if field == "auth_key":
        if cleaned:
            assert get_cipher().decrypt(row.auth_key_encrypted).decode() == cleaned
        else:  # an empty key means "keep the saved one"
            assert row.auth_key_encrypted == before["auth_key_encrypted"]
    else:
        column = {"tags": "advertise_tags"}.get(field, field)
        assert getattr(row, column) == cleaned


@pytest.mark.django_db
@FUZZ
@given(value=hostnames)
def test_hostnames_are_refused_or_round_trip(token_client, value):
    check(token_client, "hostname", value)


@pytest.mark.django_db
@FUZZ
@given(value=tags)
def test_tags_are_refused_or_round_trip(token_client, value):
    check(token_client, "tags", value)


@pytest.mark.django_db
@FUZZ
@given(value=control_urls)
def test_control_urls_are_refused_or_round_trip(token_client, value):
    check(token_client, "control_url", value)


@pytest.mark.django_db
@FUZZ
@given(value=auth_keys)
def test_auth_keys_are_refused_or_round_trip(token_client, value):
    DesiredConfig.update(advertise_tags=[])
    check(token_client, "auth_key", value)
