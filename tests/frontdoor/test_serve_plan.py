"""`plan_serve` as a table, and the 412 path against a real fake-tailscaled."""

from __future__ import annotations

import pytest

from tailscale_sidecar import servepath
from tailscale_sidecar.localapi import LocalAPIClient, PreconditionFailed
from tailscale_sidecar.supervisor.frontdoor import plan_serve, reconcile_front_door
from tests.fixtures.simulator import log_in, status, wait_for

NAME = "web.tail1234.ts.net"
OURS = "http://127.0.0.1:3000/.tailscale-serve/abc"
FRONT = {
    "TCP": {"443": {"HTTPS": True}},
    "Web": {f"{NAME}:443": {"Handlers": {"/": {"Proxy": OURS}}}},
}


def test_an_empty_config_gets_the_front_door():
    plan = plan_serve({}, NAME, OURS)
    assert plan.config == FRONT
    assert (plan.https_url, plan.error, plan.kept) == (f"https://{NAME}/", "", ())


def test_a_config_that_already_has_it_is_left_alone():
    plan = plan_serve(FRONT, NAME, OURS)
    assert plan.config is None and plan.https_url == f"https://{NAME}/"


def test_other_ports_and_paths_are_kept_and_named():
    theirs = {
        "TCP": {"443": {"HTTPS": True}, "8443": {"HTTPS": True}},
        "Web": {
            f"{NAME}:443": {"Handlers": {"/grafana/": {"Proxy": "http://127.0.0.1:3001"}}},
            f"{NAME}:8443": {"Handlers": {"/": {"Text": "hi"}}},
        },
    }
    plan = plan_serve(theirs, NAME, OURS)
    assert plan.config is not None
    handlers = plan.config["Web"][f"{NAME}:443"]["Handlers"]
    assert handlers == {"/grafana/": {"Proxy": "http://127.0.0.1:3001"}, "/": {"Proxy": OURS}}
    assert plan.config["Web"][f"{NAME}:8443"] == theirs["Web"][f"{NAME}:8443"]
    assert plan.kept == ("port 8443", f"{NAME}:443/grafana/", f"{NAME}:8443/")


def test_a_new_token_or_port_replaces_the_old_handler():
    new = "http://127.0.0.1:4000/.tailscale-serve/def"
    plan = plan_serve(FRONT, NAME, new)
    assert plan.config is not None
    assert plan.config["Web"][f"{NAME}:443"]["Handlers"] == {"/": {"Proxy": new}}


def test_someone_elses_root_handler_is_never_taken_over():
    theirs = {
        "TCP": {"443": {"HTTPS": True}},
        "Web": {f"{NAME}:443": {"Handlers": {"/": {"Proxy": "http://127.0.0.1:9"}}}},
    }
    plan = plan_serve(theirs, NAME, OURS)
    assert plan.config is None and plan.https_url == ""
    assert "already served by another serve config (Proxy http://127.0.0.1:9)" in plan.error


def test_port_443_used_for_raw_tcp_is_never_taken_over():
    theirs = {"TCP": {"443": {"TCPForward": "127.0.0.1:8443"}}}
    plan = plan_serve(theirs, NAME, OURS)
    assert plan.config is None
    assert "port 443 of this node is already used" in plan.error


def test_not_wanted_removes_only_ours():
    both = {
        "TCP": {"443": {"HTTPS": True}, "80": {"HTTP": True}},
        "Web": {
            f"{NAME}:443": {"Handlers": {"/": {"Proxy": OURS}}},
            f"{NAME}:80": {"Handlers": {"/": {"Text": "hi"}}},
        },
    }
    plan = plan_serve(both, "", OURS)
    assert plan.config == {
        "TCP": {"80": {"HTTP": True}},
        "Web": {f"{NAME}:80": {"Handlers": {"/": {"Text": "hi"}}}},
    }
    assert plan_serve({}, "", OURS).config is None


def test_a_renamed_node_moves_the_front_door():
    plan = plan_serve(FRONT, "web-2.tail1234.ts.net", OURS)
    assert plan.config is not None
    assert list(plan.config["Web"]) == ["web-2.tail1234.ts.net:443"]


class RivalWrites(LocalAPIClient):
    """Lets a rival write between this client's read and its write, once."""

    def __init__(self, path, rival: LocalAPIClient) -> None:
        super().__init__(path)
        self.rival = rival
        self.refused = 0

    def serve_config(self):
        config, etag = super().serve_config()
        if not self.refused:
            current, current_etag = self.rival.serve_config()
            current.setdefault("TCP", {})["9443"] = {"TCPForward": "127.0.0.1:22"}
            self.rival.set_serve_config(current, current_etag)
        return config, etag

    def set_serve_config(self, config, etag):
        try:
            super().set_serve_config(config, etag)
        except PreconditionFailed:
            self.refused += 1
            raise


@pytest.mark.django_db
def test_a_stale_etag_gets_412_and_the_write_starts_again_from_the_rivals_config(
    fake_tailscaled_factory, fake_control
):
    fake_control.set_https(True)
    daemon = fake_tailscaled_factory().start()
    log_in(daemon, fake_control, hostname="web")
    wait_for(lambda: status(daemon)["CertDomains"] == [NAME])
    with LocalAPIClient(daemon.socket_path) as rival:
        client = RivalWrites(daemon.socket_path, rival)
        try:
            fields = reconcile_front_door(client, client.status(), True, 3000)
        finally:
            client.close()
        config = rival.serve_config()[0]

    assert client.refused == 1
    assert fields == {"https_url": f"https://{NAME}/", "https_error": ""}
    assert config["TCP"]["9443"] == {"TCPForward": "127.0.0.1:22"}
    proxy = config["Web"][f"{NAME}:443"]["Handlers"]["/"]["Proxy"]
    assert proxy == servepath.proxy_target(3000)
