"""With the outbound proxy on, the app reaches a tailnet peer by its MagicDNS name."""

import pytest

from tailscale_sidecar.models import DesiredConfig
from tailscale_sidecar.outbound import tailnet_http_client
from tailscale_sidecar.simulator.harness import wait_for
from tests.fixtures.simulator import log_in
from tests.fixtures.web import free_port
from tests.supervisor.helpers import TIMEOUT, observed, wait_phase


@pytest.mark.django_db(transaction=True)
def test_it_reaches_a_peer_by_name_through_the_proxy(
    start_supervisor, fake_control, fake_tailscaled_factory, peer_web
):
    log_in(fake_tailscaled_factory().start(), fake_control, hostname="peer")
    proxy_addr = f"127.0.0.1:{free_port()}"
    supervisor = start_supervisor(
        TAILSCALE_AUTHKEY=fake_control.create_auth_key(),
        TAILSCALE_OUTBOUND_PROXY_ADDR=proxy_addr,
    )
    DesiredConfig.update(enabled=True, outbound_proxy=True)
    wait_phase("running", supervisor)
    wait_for(lambda: observed().http_proxy_addr == proxy_addr, timeout=TIMEOUT)
    assert observed().socks5_addr == proxy_addr

    with tailnet_http_client() as client:
        response = client.get(f"http://peer:{peer_web}/page")

    assert response.status_code == 200
    assert response.text == "hello from /page"
