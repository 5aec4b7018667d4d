"""A stored, logged-in node comes back by itself; without control it stays NoState."""

from tailscale_sidecar.simulator.harness import FakeTailscaled
from tests.fixtures.simulator import BusRecorder, log_in, status, wait_for


def test_it_comes_back_running_with_the_same_identity(fake_tailscaled_factory, fake_control):
    first = fake_tailscaled_factory().start()
    before = log_in(first, fake_control, hostname="web")
    assert first.stop() == 0

    second = fake_tailscaled_factory(state_dir=first.state_dir).start()
    with BusRecorder(second) as bus:
        if status(second)["BackendState"] != "Running":
            bus.wait_for(lambda m: m["State"] == 6)
    after = status(second)
    assert after["Self"]["ID"] == before["Self"]["ID"]
    assert after["TailscaleIPs"] == before["TailscaleIPs"]
    assert after["Self"]["PublicKey"] == before["Self"]["PublicKey"]
    assert not any(m["BrowseToURL"] or m["LoginFinished"] for m in bus.messages)


def test_without_control_it_stays_nostate(fake_tailscaled_factory, fake_control):
    first: FakeTailscaled = fake_tailscaled_factory().start()
    log_in(first, fake_control, hostname="web")
    first.stop()
    fake_control.set_offline(True)

    second = fake_tailscaled_factory(state_dir=first.state_dir).start()

    def unreachable() -> dict | None:
        now = status(second)
        return now if any("coordination server" in h for h in now["Health"]) else None

    offline = wait_for(unreachable, timeout=15)
    assert offline["BackendState"] == "NoState"
    assert offline["HaveNodeKey"] is True

    fake_control.set_offline(False)
    wait_for(lambda: status(second)["BackendState"] == "Running", timeout=20)
