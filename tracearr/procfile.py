"""Run every process of a Procfile in one small Python process.

`python -m tracearr.procfile Procfile` is the container's PID 1 and what
`bin/run` ends in. It does what honcho did for this app, in one process
instead of one forked Python per entry (about 18 MB of a 200 MB budget):

- each entry runs as `/bin/sh -c <command>` in its own session, so a Ctrl-C
  in the terminal reaches this process only and the stop is ordered;
- output is prefixed with the time and the entry's name, one line at a time;
- SIGTERM or SIGINT, or any entry exiting, stops them all: SIGTERM to each
  entry's process group, SIGKILL to what is left after the grace period;
- the exit code is the first entry's that stopped (130/143 after a signal).

Only the standard library: this runs before anything else is known to work.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

GRACE_SECONDS = 5.0
SIGNAL_EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
ENTRY = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")


class ProcfileError(ValueError):
    pass


def parse_procfile(text: str) -> dict[str, str]:
    """`name: command` lines; blank lines and `#` comments are skipped."""
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = ENTRY.match(stripped)
        if match is None:
            raise ProcfileError(f"line {number}: expected 'name: command', got {stripped!r}")
        name, command = match.groups()
        if name in entries:
            raise ProcfileError(f"line {number}: '{name}' is defined twice")
        entries[name] = command
    if not entries:
        raise ProcfileError("no processes defined")
    return entries


class Printer:
    """Writes `HH:MM:SS name | line` from several threads without mixing lines."""

    def __init__(self, out: IO[str], names: list[str]):
        self.out = out
        self.width = max(len(name) for name in [*names, "system"])
        self.lock = threading.Lock()

    def line(self, name: str, text: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        with self.lock:
            self.out.write(f"{stamp} {name:<{self.width}} | {text.rstrip()}\n")
            self.out.flush()

    def copy(self, name: str, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self.line(name, raw.decode(errors="replace"))
        stream.close()


@dataclass
class Entry:
    name: str
    command: str
    process: subprocess.Popen[bytes] | None = None
    returncode: int | None = field(default=None)


class Runner:
    def __init__(
        self, entries: dict[str, str], cwd: Path, printer: Printer, grace: float = GRACE_SECONDS
    ):
        self.entries = [Entry(name, command) for name, command in entries.items()]
        self.cwd = cwd
        self.grace = grace
        self.printer = printer
        # SimpleQueue.put is safe to call from a signal handler.
        self.wakeups: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.returncode: int | None = None

    def run(self) -> int:
        for handled in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
            signal.signal(handled, lambda signum, _frame: self.wakeups.put(signum))
        for entry in self.entries:
            self.start(entry)

        stop_deadline: float | None = None
        while True:
            timeout = None if stop_deadline is None else max(0.0, stop_deadline - time.monotonic())
            signum: int | None
            try:
                signum = self.wakeups.get(timeout=timeout)
            except queue.Empty:
                signum = None
            if signum in SIGNAL_EXIT_CODES and stop_deadline is None:
                self.printer.line("system", f"{signal.Signals(signum).name} received")
                self.returncode = SIGNAL_EXIT_CODES[signal.Signals(signum)]
            self.reap()
            running = [entry for entry in self.entries if entry.returncode is None]
            if not running:
                return self.returncode or 0
            if stop_deadline is None and self.returncode is not None:
                stop_deadline = time.monotonic() + self.grace
                self.signal_all(running, signal.SIGTERM)
            elif stop_deadline is not None and time.monotonic() >= stop_deadline:
                self.signal_all(running, signal.SIGKILL)
                stop_deadline = time.monotonic() + self.grace

    def start(self, entry: Entry) -> None:
        entry.process = subprocess.Popen(
            ["/bin/sh", "-c", entry.command],
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        assert entry.process.stdout is not None
        threading.Thread(
            target=self.printer.copy,
            args=(entry.name, entry.process.stdout),
            name=f"output-{entry.name}",
            daemon=True,
        ).start()
        self.printer.line("system", f"{entry.name} started (pid={entry.process.pid})")

    def reap(self) -> None:
        for entry in self.entries:
            if entry.returncode is not None or entry.process is None:
                continue
            code = entry.process.poll()
            if code is None:
                continue
            entry.returncode = code
            self.printer.line("system", f"{entry.name} stopped (rc={code})")
            if self.returncode is None:
                self.returncode = code

    def signal_all(self, entries: list[Entry], signum: signal.Signals) -> None:
        for entry in entries:
            assert entry.process is not None
            self.printer.line(
                "system", f"sending {signum.name} to {entry.name} (pid {entry.process.pid})"
            )
            # Already gone, or a zombie whose group is empty.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(entry.process.pid, signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tracearr.procfile", description=__doc__.splitlines()[0]
    )
    parser.add_argument("procfile", type=Path)
    parser.add_argument(
        "--cwd", type=Path, default=Path.cwd(), help="directory the processes run in"
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=GRACE_SECONDS,
        help="seconds between SIGTERM and SIGKILL (default 5)",
    )
    args = parser.parse_args(argv)
    try:
        entries = parse_procfile(args.procfile.read_text())
    except (OSError, ProcfileError) as err:
        print(f"procfile: {args.procfile}: {err}", file=sys.stderr)
        return 2
    printer = Printer(sys.stdout, list(entries))
    return Runner(entries, args.cwd, printer, args.grace).run()


if __name__ == "__main__":
    sys.exit(main())
