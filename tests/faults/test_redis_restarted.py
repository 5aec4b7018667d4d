"""Redis (our own instance) stopped and started again under a running node.

tailscaled stays up throughout, desired changes still apply (the supervisor's
database poll covers the lost nudges), and once Redis is back the supervisor
is subscribed again, so nudges work.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile

import pytest
import redis

from tailscale_sidecar.models import DesiredConfig, ObservedStatus
from tailscale_sidecar.nudge import CHANNEL, nudge_supervisor
from tailscale_sidecar.simulator.harness import wait_for
from tests.faults.helpers import current_pid
from tests.fixtures.services import need_service
from tests.fixtures.web import free_port
from tests.supervisor.helpers import TIMEOUT, join_with_key


class OwnRedis:
    """A private redis-server child on a free port: the machine's shared one is never touched."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.dir = tempfile.mkdtemp(prefix="ts-redis-", dir="/tmp")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(self.answers, timeout=TIMEOUT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def answers(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_timeout=1).ping()
        except redis.RedisError:
            return False

    def subscribers(self) -> int:
        return dict(redis.Redis.from_url(self.url).pubsub_numsub(CHANNEL)).get(CHANNEL.encode(), 0)


@pytest.fixture
def own_redis():
    if shutil.which("redis-server") is None:
        need_service("redis-server", "the binary is not installed")
    server = OwnRedis(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


def hostname_applied(name: str) -> bool:
    return ObservedStatus.load().hostname == name


@pytest.mark.django_db(transaction=True)
def test_the_node_stays_up_and_nudges_resume_after_redis_returns(
    start_supervisor, own_redis, settings
):
    settings.REDIS_URL = own_redis.url
    supervisor = start_supervisor(REDIS_URL=own_redis.url, TAILSCALE_POLL_INTERVAL="3")
    join_with_key(supervisor)
    pid = current_pid(supervisor)
    wait_for(lambda: own_redis.subscribers() == 1, timeout=TIMEOUT)

    own_redis.stop()
    DesiredConfig.update(hostname="while-redis-down")
    nudge_supervisor()  # lost: must not raise, the poll applies the change
    wait_for(lambda: hostname_applied("while-redis-down"), timeout=TIMEOUT)

    own_redis.start()
    wait_for(lambda: own_redis.subscribers() == 1, timeout=TIMEOUT)
    DesiredConfig.update(hostname="after-redis-back")
    nudge_supervisor()
    wait_for(lambda: hostname_applied("after-redis-back"), timeout=TIMEOUT)

    assert current_pid(supervisor) == pid, "tailscaled was restarted"
    assert ObservedStatus.load().phase == "running"
