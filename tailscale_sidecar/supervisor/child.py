"""Spawn, watch and stop the tailscaled child process; its pidfile.

tailscaled runs in its own process group with a minimal environment (no app
secrets) and a parent-death pipe, so it exits by itself if the supervisor is
killed with SIGKILL. Its output goes to a LogBuffer; a waiter thread reports
its exit at once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from tailscale_sidecar.supervisor.logbuffer import LogBuffer

log = logging.getLogger(__name__)

PIDFILE_NAME = "tailscaled.pid"
STATE_FILE_NAME = "tailscaled.state"
# Passed through from the supervisor's own environment: tailscaled's debug
# knobs, and the simulator's fault injection in tests.
PASSTHROUGH_ENV_PREFIXES = ("TS_DEBUG_", "FAKE_TAILSCALED_")
STOP_TIMEOUT = 5.0

_PROXY_LINE = re.compile(r"(SOCKS5|HTTP proxy) listening on (\S+)")


def resolve_binary(configured: str) -> str | None:
    """The absolute path of the tailscaled binary, or None when it is missing."""
    if os.sep in configured:
        path = Path(configured)
        return str(path.resolve()) if path.is_file() and os.access(path, os.X_OK) else None
    found = shutil.which(configured)
    return str(Path(found).resolve()) if found else None


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


@dataclass(frozen=True)
class ChildConfig:
    binary: str
    state_dir: Path
    socket_path: Path
    logs_dir: Path
    proxy_addr: str | None = None

    @property
    def state_path(self) -> Path:
        return self.state_dir / STATE_FILE_NAME

    def argv(self) -> list[str]:
        argv = [
            self.binary,
            "--tun=userspace-networking",
            f"--statedir={self.state_dir}",
            f"--state={self.state_path}",
            f"--socket={self.socket_path}",
            "--port=0",
            "--no-logs-no-support",
        ]
        if self.proxy_addr:
            # One address for both: tailscaled tells SOCKS5 from HTTP by sniffing.
            argv += [
                f"--socks5-server={self.proxy_addr}",
                f"--outbound-http-proxy-listen={self.proxy_addr}",
            ]
        return argv

    def env(self, parent_death_fd: int) -> dict[str, str]:
        """Only what tailscaled needs: never the app's secrets or database URL."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", str(self.state_dir)),
            "TS_LOGS_DIR": str(self.logs_dir),
            "TS_NO_LOGS_NO_SUPPORT": "true",
            "TS_PARENT_DEATH_FD": str(parent_death_fd),
        }
        env.update({k: v for k, v in os.environ.items() if k.startswith(PASSTHROUGH_ENV_PREFIXES)})
        return env


class Tailscaled:
    """One run of the tailscaled process."""

    def __init__(
        self,
        config: ChildConfig,
        logs: LogBuffer,
        on_exit: Callable[[], None],
        pidfile: Path,
    ) -> None:
        self.config = config
        self.logs = logs
        self.on_exit = on_exit
        self.pidfile = pidfile
        self.proxy_addrs: dict[str, str] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._death_fd: int | None = None
        self._exited = threading.Event()

    def start(self) -> None:
        read_fd, self._death_fd = os.pipe()
        try:
            self._proc = subprocess.Popen(
                self.config.argv(),
                env=self.config.env(read_fd),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(read_fd,),
                start_new_session=True,
                cwd=self.config.state_dir,
            )
        except OSError:
            os.close(self._death_fd)
            self._death_fd = None
            raise
        finally:
            os.close(read_fd)
        self._write_pidfile()
        log.info("started tailscaled pid=%d socket=%s", self.pid, self.config.socket_path)
        threading.Thread(target=self._read_output, name="tailscaled-output", daemon=True).start()
        threading.Thread(target=self._wait, name="tailscaled-waiter", daemon=True).start()

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode if self._exited.is_set() and self._proc else None

    def alive(self) -> bool:
        return self._proc is not None and not self._exited.is_set()

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM, wait up to `timeout`, then SIGKILL the whole group."""
        if self.alive():
            self._signal(signal.SIGTERM)
            if not self._exited.wait(timeout):
                log.warning("tailscaled pid=%d ignored SIGTERM; killing it", self.pid)
                self.kill()
        self._cleanup()

    def kill(self) -> None:
        if self.alive():
            self._signal(signal.SIGKILL)
            self._exited.wait(STOP_TIMEOUT)
        self._cleanup()

    def _signal(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)

    def _cleanup(self) -> None:
        if self._death_fd is not None and self._exited.is_set():
            os.close(self._death_fd)
            self._death_fd = None
        if self._exited.is_set():
            remove_pidfile(self.pidfile, self.pid)

    def _wait(self) -> None:
        assert self._proc is not None
        self._proc.wait()
        self._exited.set()
        self.on_exit()

    def _read_output(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for raw in self._proc.stdout:
            line = raw.decode("utf-8", "replace")
            self.logs.append(line)
            if match := _PROXY_LINE.search(line):
                self.proxy_addrs[match.group(1)] = match.group(2)
        self._proc.stdout.close()

    def _write_pidfile(self) -> None:
        record = {
            "pid": self.pid,
            "create_time": psutil.Process(self.pid).create_time(),
            "socket": str(self.config.socket_path),
            "binary": self.config.binary,
        }
        tmp = self.pidfile.with_suffix(".tmp")
        tmp.write_text(json.dumps(record))
        tmp.replace(self.pidfile)


def remove_pidfile(pidfile: Path, pid: int) -> None:
    try:
        if json.loads(pidfile.read_text()).get("pid") == pid:
            pidfile.unlink()
    except (OSError, ValueError):
        pass


def _is_our_tailscaled(proc: psutil.Process, record: dict, binary: str) -> bool:
    if abs(proc.create_time() - float(record.get("create_time", 0))) > 0.05:
        return False  # the pid was reused by another process
    cmdline = proc.cmdline()
    if f"--socket={record.get('socket')}" not in cmdline:
        return False
    names = {os.path.realpath(part) for part in cmdline[:2]}
    with contextlib.suppress(psutil.Error):
        names.add(os.path.realpath(proc.exe()))
    return os.path.realpath(binary) in names


def stop_stale_tailscaled(pidfile: Path, binary: str | None) -> bool:
    """Stop a tailscaled left behind by a previous supervisor; True if one was stopped.

    Only the process the pidfile names, and only after checking that it is that
    very process (same start time, our binary, our socket): never by name.
    """
    try:
        record = json.loads(pidfile.read_text())
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        log.warning("ignoring an unreadable pidfile %s", pidfile)
        pidfile.unlink(missing_ok=True)
        return False
    pid = int(record.get("pid", 0))
    stopped = False
    try:
        proc = psutil.Process(pid)
        if binary and _is_our_tailscaled(proc, record, binary):
            log.warning("stopping tailscaled pid=%d left by a previous supervisor", pid)
            proc.terminate()
            try:
                proc.wait(STOP_TIMEOUT)
            except psutil.TimeoutExpired:
                proc.kill()
                proc.wait(STOP_TIMEOUT)
            stopped = True
    except psutil.NoSuchProcess:
        pass
    except psutil.Error as exc:
        log.warning("could not check pid %d from the pidfile: %s", pid, exc)
    pidfile.unlink(missing_ok=True)
    return stopped
