"""A running node's page shows its tailnet URL with a copy button and a server-made QR code."""

import pytest


@pytest.mark.django_db
def test_the_tailnet_url_comes_with_a_qr_code(owner_client, desired, observe, settings):
    settings.TRACEARR_PORT = 3000
    desired(enabled=True, hostname="web")
    observe(phase="running", hostname="web", dns_name="web.tail1234.ts.net.", applied_generation=99)
    html = owner_client.get("/settings/tailscale/").content.decode()
    url = "http://web.tail1234.ts.net:3000/"
    assert f'data-copy="{url}"' in html
    figure = html[html.index('data-testid="tailnet-qr"') :]
    figure = figure[: figure.index("</figure>")]
    assert "<svg" in figure and f"<title>QR code for {url}</title>" in figure
    # Inline and self-made: no image fetched from anywhere.
    assert "<img" not in figure and "src=" not in figure


@pytest.mark.django_db
def test_no_qr_code_without_a_tailnet_url(owner_client):
    assert (
        'data-testid="tailnet-qr"' not in owner_client.get("/settings/tailscale/").content.decode()
    )
