"""fake-tailscale-control keeps its tailnet across its own restarts."""

from tests.fixtures.simulator import log_in, wait_for_state


def test_nodes_and_keys_survive_a_control_restart(fake_tailscaled_factory, fake_control):
    key = fake_control.create_auth_key(reusable=True)
    daemon = fake_tailscaled_factory().start()
    log_in(daemon, fake_control, hostname="web", auth_key=key)
    nodes_before = fake_control.nodes()

    fake_control.stop()
    fake_control.start()
    assert [n["id"] for n in fake_control.nodes()] == [n["id"] for n in nodes_before]
    assert fake_control.nodes()[0]["ips"] == nodes_before[0]["ips"]

    second = log_in(fake_tailscaled_factory().start(), fake_control, hostname="api", auth_key=key)
    assert second["Self"]["DNSName"] == "api.tail1234.ts.net."
    wait_for_state(daemon, "Running")
