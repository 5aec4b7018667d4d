"""tracearr.procfile, the container's PID 1: real processes, real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tracearr.procfile import ProcfileError, parse_procfile

from .helpers import ROOT, wait_for

# Each entry writes its pid, then waits.
PROCFILE = """\
# a comment, and a blank line

one: echo "one up"; echo $$ > one.pid; exec sleep 600
two: echo $$ > two.pid; exec sleep 600
"""


def start(tmp_path: Path, procfile: str, *extra: str) -> subprocess.Popen[str]:
    (tmp_path / "Procfile").write_text(procfile)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tracearr.procfile",
            str(tmp_path / "Procfile"),
            "--cwd",
            str(tmp_path),
            *extra,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def pids(tmp_path: Path, *names: str) -> list[int]:
    files = [tmp_path / f"{name}.pid" for name in names]
    wait_for(lambda: all(f.exists() and f.read_text().strip() for f in files), timeout=15)
    return [int(f.read_text()) for f in files]


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_parse_reads_names_and_commands_and_skips_comments():
    assert parse_procfile(PROCFILE) == {
        "one": 'echo "one up"; echo $$ > one.pid; exec sleep 600',
        "two": "echo $$ > two.pid; exec sleep 600",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no processes defined"),
        ("web gunicorn\n", "line 1: expected 'name: command'"),
        ("a: true\na: false\n", "line 2: 'a' is defined twice"),
    ],
)
def test_a_bad_procfile_is_refused_with_the_line(text, message):
    with pytest.raises(ProcfileError, match=message):
        parse_procfile(text)


def test_a_bad_procfile_exits_2_and_starts_nothing(tmp_path):
    runner = start(tmp_path, "web gunicorn\n")
    out, _ = runner.communicate(timeout=30)
    assert runner.returncode == 2
    assert "line 1: expected 'name: command'" in out


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_every_process_and_sets_the_exit_code(tmp_path, signum, code):
    runner = start(tmp_path, PROCFILE)
    children = pids(tmp_path, "one", "two")
    runner.send_signal(signum)
    out, _ = runner.communicate(timeout=30)
    assert runner.returncode == code
    assert all(gone(pid) for pid in children)
    assert f"{signal.Signals(signum).name} received" in out
    assert "| one up" in out  # each line carries its entry's name


def test_ctrl_c_in_the_terminal_reaches_only_the_runner_which_stops_the_rest(tmp_path):
    """The terminal signals the whole foreground group; the entries are in their own sessions."""
    runner = start(tmp_path, PROCFILE)
    children = pids(tmp_path, "one", "two")
    assert all(os.getsid(pid) != os.getsid(runner.pid) for pid in children)
    os.killpg(runner.pid, signal.SIGINT)
    out, _ = runner.communicate(timeout=30)
    assert runner.returncode == 130
    assert all(gone(pid) for pid in children)
    assert "sending SIGTERM to one" in out and "sending SIGTERM to two" in out


def test_one_process_exiting_stops_the_others_with_its_exit_code(tmp_path):
    runner = start(
        tmp_path,
        PROCFILE + "short: until [ -s one.pid ] && [ -s two.pid ]; do sleep 0.05; done; exit 3\n",
    )
    out, _ = runner.communicate(timeout=30)
    assert runner.returncode == 3
    assert "short stopped (rc=3)" in out
    assert all(gone(pid) for pid in pids(tmp_path, "one", "two"))


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path):
    runner = start(
        tmp_path,
        "stuck: trap '' TERM; echo $$ > stuck.pid; while :; do sleep 0.1; done\n",
        "--grace",
        "1",
    )
    [stuck] = pids(tmp_path, "stuck")
    runner.send_signal(signal.SIGTERM)
    out, _ = runner.communicate(timeout=30)
    assert "sending SIGKILL to stuck" in out
    assert runner.returncode == 143
    assert gone(stuck)
