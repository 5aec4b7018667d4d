import pytest

from tailscale_sidecar.localapi import BackendState, LocalAPIClient, LocalAPIError
from tests.localapi.bus_recorder import BusRecorder
from tests.localapi.login_steps import node_prefs

INITIAL_HEALTH_STATE = 128


def test_it_reports_an_unhealthy_state_store(fake_tailscaled_factory, state_dir, fake_control):
    daemon = fake_tailscaled_factory(state_dir)
    daemon.state_path.write_text("{not json")
    daemon.start()

    with LocalAPIClient(daemon.socket_path, timeout=10.0) as client:
        status = client.status()
        assert status.backend_state is BackendState.NoState
        assert any("State store failed to initialize" in text for text in status.health)
        with BusRecorder(client, mask=INITIAL_HEALTH_STATE) as bus:
            first = bus.wait(lambda n: n.health is not None, what="the initial Health")
        assert "state-store-health" in first.health["Warnings"]
        assert first.health["Warnings"]["state-store-health"]["Severity"] == "high"

        with pytest.raises(LocalAPIError) as raised:
            client.start(node_prefs(fake_control.url))

    assert type(raised.value) is LocalAPIError
    assert raised.value.status == 500
    assert raised.value.message == "cannot start backend when state store is unhealthy"
