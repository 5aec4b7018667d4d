from tailscale_sidecar.localapi import BackendState, LocalAPIClient


def test_it_ignores_proxy_settings_in_the_environment(daemon, monkeypatch):
    # Containers often set these; the unix socket must never go through them.
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")

    with LocalAPIClient(daemon.socket_path, timeout=5.0) as client:
        assert client.status().backend_state is BackendState.NeedsLogin
