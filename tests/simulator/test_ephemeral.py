"""--state=mem: persists nothing, registers an ephemeral node, logs out on SIGTERM."""

from tailscale_sidecar.simulator.harness import wait_for
from tests.fixtures.simulator import log_in


def test_a_memory_node_is_ephemeral_and_leaves_on_sigterm(fake_tailscaled_factory, fake_control):
    daemon = fake_tailscaled_factory(state="mem:").start()
    log_in(daemon, fake_control, hostname="temp")
    assert fake_control.nodes()[0]["ephemeral"] is True
    assert list(daemon.state_dir.iterdir()) == []  # nothing persisted

    assert daemon.stop() == 0
    wait_for(lambda: fake_control.nodes() == [], timeout=10, message="node still registered")
