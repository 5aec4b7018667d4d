"""The tailnet HTTP client uses tailscaled's proxy, and says so when it is off."""

import pytest

from tailscale_sidecar.models import ObservedStatus
from tailscale_sidecar.outbound import OutboundProxyOff, tailnet_http_client, tailnet_proxy_url


@pytest.mark.django_db
def test_it_refuses_clearly_when_the_proxy_is_off():
    ObservedStatus.write(http_proxy_addr="")
    assert tailnet_proxy_url() is None
    with pytest.raises(OutboundProxyOff, match="outbound proxy"):
        tailnet_http_client()


@pytest.mark.django_db
def test_it_points_at_the_recorded_proxy():
    ObservedStatus.write(http_proxy_addr="127.0.0.1:1055")
    assert tailnet_proxy_url() == "http://127.0.0.1:1055"
    with tailnet_http_client() as client:
        assert client is not None
