from tailscale_sidecar.localapi import BackendState
from tests.localapi.login_steps import node_prefs


def test_it_waits_for_device_approval_then_runs(client, bus, fake_control):
    fake_control.set_require_machine_auth(True)
    key = fake_control.create_auth_key(preauthorized=False)

    client.start(node_prefs(fake_control.url), auth_key=key)
    client.login_interactive()

    bus.wait(lambda n: n.state is BackendState.NeedsMachineAuth, what="NeedsMachineAuth")
    status = client.status()
    assert status.backend_state is BackendState.NeedsMachineAuth
    since = bus.mark()

    fake_control.approve(status.self_node.id)

    bus.wait(lambda n: n.state is BackendState.Running, since=since, what="State Running")
    assert client.status().backend_state is BackendState.Running
