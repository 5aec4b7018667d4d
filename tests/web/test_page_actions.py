"""The page's buttons change DesiredConfig like the API; bad input shows inline errors."""

import pytest

from tailscale_sidecar.models import DesiredConfig

from .conftest import desired_snapshot


@pytest.mark.django_db
def test_enable_form_saves_and_redirects(owner_client):
    response = owner_client.post(
        "/settings/tailscale/enable/",
        {"hostname": "web-1", "auth_key": "", "tags": "tag:b, tag:a", "control_url": ""},
    )
    assert response.status_code == 302
    row = DesiredConfig.load()
    assert (row.enabled, row.hostname, row.advertise_tags, row.auth_key_encrypted) == (
        True,
        "web-1",
        ["tag:a", "tag:b"],
        "",
    )


@pytest.mark.django_db
def test_it_shows_an_inline_error_for_a_bad_hostname(owner_client):
    before = desired_snapshot()
    response = owner_client.post("/settings/tailscale/enable/", {"hostname": "foo_bar"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "&quot;foo_bar&quot; is not a valid hostname" in html
    assert 'aria-invalid="true"' in html
    assert desired_snapshot() == before


@pytest.mark.django_db
def test_it_never_renders_a_saved_auth_key(owner_client):
    owner_client.post(
        "/settings/tailscale/enable/", {"hostname": "web", "auth_key": "tskey-auth-kQQ-zz"}
    )
    owner_client.post("/settings/tailscale/disable/")
    html = owner_client.get("/settings/tailscale/").content.decode()
    assert "tskey-auth-kQQ-zz" not in html
    assert "A key is saved" in html
    assert DesiredConfig.load().auth_key_encrypted


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "enabled", "reset", "retry"),
    [("disable", False, 0, 0), ("reset", False, 1, 0), ("retry", True, 0, 1)],
)
def test_buttons_change_the_desired_config(owner_client, desired, path, enabled, reset, retry):
    desired(enabled=True, hostname="web")
    assert owner_client.post(f"/settings/tailscale/{path}/").status_code == 302
    row = DesiredConfig.load()
    assert (row.enabled, row.reset_generation, row.retry_generation) == (enabled, reset, retry)


@pytest.mark.django_db
def test_buttons_refuse_get(owner_client):
    assert owner_client.get("/settings/tailscale/disable/").status_code == 405
