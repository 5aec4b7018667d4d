"""The Procfile parses as tracearr.procfile reads it, and every entry names something real."""

from __future__ import annotations

import shlex
import shutil

from django.core.management import get_commands

from tracearr.procfile import parse_procfile

from .helpers import ROOT, VENV_BIN

PROCFILE = parse_procfile((ROOT / "Procfile").read_text())


def argv(name: str) -> list[str]:
    """The entry's program and arguments, after `exec`."""
    words = shlex.split(PROCFILE[name])
    while words and ("=" in words[0] or words[0] == "exec"):
        words.pop(0)
    return words


def test_it_defines_the_three_processes():
    assert set(PROCFILE) == {"web", "supervisor", "worker"}


def test_every_entry_execs_its_program():
    """The program replaces the shell, so it is the process the runner signals and waits for."""
    for name, command in PROCFILE.items():
        assert command.startswith("exec "), name


def test_programs_exist():
    for name in PROCFILE:
        program = argv(name)[0]
        assert (VENV_BIN / program).exists() or shutil.which(program), f"{name}: {program}"


def test_web_uses_the_gunicorn_config():
    words = argv("web")
    assert words[:3] == ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
    assert (ROOT / words[2]).is_file()


def test_the_supervisor_is_a_management_command():
    words = argv("supervisor")
    assert words[:2] == ["python", "manage.py"]
    assert words[2] in get_commands()


def test_the_worker_is_the_apps_celery_worker_with_a_small_pool_and_the_schedule():
    from tracearr.worker import WORKER_OPTIONS

    assert argv("worker") == ["python", "-m", "tracearr.worker"]
    assert WORKER_OPTIONS["pool_cls"] == "solo" and WORKER_OPTIONS["concurrency"] == 1
    assert WORKER_OPTIONS["beat_thread"] is True
