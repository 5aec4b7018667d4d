import threading
import time

from tailscale_sidecar.localapi import LocalAPIClient, default_prefs
from tests.localapi.bus_recorder import BusRecorder


def test_it_ends_a_blocked_read_promptly_when_closed_from_another_thread(client):
    ended = threading.Event()

    with client.watch_ipn_bus() as stream:

        def read_until_closed() -> None:
            for _ in stream:
                pass
            ended.set()

        reader = threading.Thread(target=read_until_closed, daemon=True)
        reader.start()
        assert not ended.wait(0.3), "mask 0 sends nothing until an event happens"
        closed_at = time.monotonic()
        stream.close()
        assert ended.wait(2.0), "the reader was still blocked 2 s after close()"

    assert time.monotonic() - closed_at < 2.0
    assert stream.closed
    reader.join(2.0)


def test_it_keeps_a_silent_stream_open_past_the_client_timeout(daemon):
    with (
        LocalAPIClient(daemon.socket_path, timeout=0.5) as client,
        BusRecorder(client) as bus,
    ):
        # Silence longer than the client timeout must not end the stream.
        time.sleep(1.5)
        client.start(default_prefs(Hostname="web-1"))
        message = bus.wait(lambda n: n.prefs is not None, what="a Prefs message")

    assert message.prefs["Hostname"] == "web-1"
    assert message.version
    assert bus.error is None
