"""A real Celery worker runs the scheduled jobs, with Redis and without it.

Without REDIS_URL the broker is kombu's filesystem transport under the data
dir: the zero-install fallback a fresh machine uses. The Procfile's worker
carries the schedule itself, in a thread, not a fork: `python -m
tracearr.worker`, or Celery's command line with `--beat-thread`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from tailscale_sidecar.models import StoredState
from tailscale_sidecar.simulator.harness import wait_for
from tests.fixtures.processes import ROOT

SEND_PRUNE = (
    "from tracearr.celery import app; app.send_task('tailscale_sidecar.tasks.prune_state_versions')"
)
WORKER = [
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
]
# The app's own settings, with the hourly prune due every second.
FAST_SCHEDULE_SETTINGS = """\
from tracearr.settings import *  # noqa: F403

CELERY_BEAT_SCHEDULE = {
    "prune-now": {"task": "tailscale_sidecar.tasks.prune_state_versions", "schedule": 1.0},
}
"""


def five_state_versions(env: dict[str, str]) -> dict[str, str]:
    for n in range(5):
        StoredState.objects.create(sha256=f"{n:064x}", ciphertext="x", size=1)
    return {**env, "TAILSCALE_STATE_VERSIONS_KEPT": "2"}


def worker_log(env: dict[str, str]) -> Path:
    return Path(env["TRACEARR_DATA_DIR"]) / "worker.log"


def wait_for_prune(env: dict[str, str]) -> None:
    # Generous: on a loaded 2-core machine the worker's start-up (Django, Celery,
    # the broker) alone has taken over 20 s.
    wait_for(
        lambda: StoredState.objects.count() == 2,
        timeout=90,
        message=lambda: (
            "the worker did not prune the state versions; its log ends:\n"
            + worker_log(env).read_text(errors="replace")[-3000:]
        ),
    )


@contextmanager
def celery_worker(env: dict[str, str], command: list[str] = WORKER) -> Iterator[subprocess.Popen]:
    with worker_log(env).open("ab") as log:
        worker = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield worker
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def run_worker_and_prune(env: dict[str, str]) -> None:
    env = five_state_versions(env)
    with celery_worker(env):
        subprocess.run(
            [sys.executable, "-c", SEND_PRUNE], cwd=ROOT, env=env, check=True, timeout=60
        )
        wait_for_prune(env)


@pytest.mark.django_db(transaction=True)
def test_a_worker_without_redis_runs_jobs_from_the_filesystem_queue(child_env):
    run_worker_and_prune(child_env)


@pytest.mark.django_db(transaction=True)
def test_a_worker_with_redis_runs_jobs(child_env, redis_url):
    run_worker_and_prune({**child_env, "REDIS_URL": redis_url})


PROCFILE_WORKER = [sys.executable, "-m", "tracearr.worker"]
CELERY_CLI_WORKER = [*WORKER, "--beat-thread"]


@pytest.mark.parametrize("command", [PROCFILE_WORKER, CELERY_CLI_WORKER], ids=["procfile", "cli"])
@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_schedule_in_its_own_process(command, child_env, tmp_path):
    (tmp_path / "fast_schedule_settings.py").write_text(FAST_SCHEDULE_SETTINGS)
    env = five_state_versions(child_env)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(ROOT)])
    env["DJANGO_SETTINGS_MODULE"] = "fast_schedule_settings"

    with celery_worker(env, command=command) as worker:
        wait_for_prune(env)  # nobody sent a task: the schedule did
        assert psutil.Process(worker.pid).children(recursive=True) == []
    assert list(Path(env["TRACEARR_DATA_DIR"]).glob("celerybeat-schedule*"))
