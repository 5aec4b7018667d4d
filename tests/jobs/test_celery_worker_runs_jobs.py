"""A real Celery worker runs the scheduled jobs, with Redis and without it.

Without REDIS_URL the broker is kombu's filesystem transport under the data
dir: the zero-install fallback a fresh machine uses.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tailscale_sidecar.models import StoredState
from tailscale_sidecar.simulator.harness import wait_for
from tests.fixtures.processes import ROOT

SEND_PRUNE = (
    "from tracearr.celery import app; app.send_task('tailscale_sidecar.tasks.prune_state_versions')"
)


def run_worker_and_prune(env: dict[str, str]) -> None:
    env = {**env, "TAILSCALE_STATE_VERSIONS_KEPT": "2"}
    for n in range(5):
        StoredState.objects.create(sha256=f"{n:064x}", ciphertext="x", size=1)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tracearr.celery",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        subprocess.run(
            [sys.executable, "-c", SEND_PRUNE], cwd=ROOT, env=env, check=True, timeout=60
        )
        wait_for(
            lambda: StoredState.objects.count() == 2,
            timeout=30,
            message="the worker did not prune the state versions",
        )
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    assert worker.returncode is not None


@pytest.mark.django_db(transaction=True)
def test_a_worker_without_redis_runs_jobs_from_the_filesystem_queue(child_env):
    run_worker_and_prune(child_env)


@pytest.mark.django_db(transaction=True)
def test_a_worker_with_redis_runs_jobs(child_env, redis_url):
    run_worker_and_prune({**child_env, "REDIS_URL": redis_url})
