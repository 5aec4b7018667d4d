from tailscale_sidecar.localapi import BackendState
from tests.localapi.login_steps import log_in_with_key


def test_it_logs_in_with_an_auth_key_without_a_browse_to_url(client, bus, fake_control):
    status = log_in_with_key(client, bus, fake_control)

    assert status.backend_state is BackendState.Running
    assert status.self_node.id
    assert len(status.tailscale_ips) == 2
    assert bus.wait(lambda n: n.login_finished, what="LoginFinished")
    assert all(n.browse_to_url is None for n in bus.messages)
    assert status.auth_url == ""
