"""fake-tailscaled: start-up, signals and fault injection.

Flags: see flags.py (tailscaled's own, Go-style). Environment it reads:
  TS_PARENT_DEATH_FD             exit 1 when this fd reaches EOF
  TS_LOGS_DIR                    log ID file and on-disk log copy
  TS_DEBUG_BACKEND_DELAY_SEC     start the backend late; LocalAPI requests block meanwhile
  TS_NO_LOGS_NO_SUPPORT          same as --no-logs-no-support
  TS_LOG_VERBOSITY               default for --verbose
  FAKE_TAILSCALED_CRASH_AFTER    exit 1 after N seconds (0: at once)
  FAKE_TAILSCALED_HANG_AFTER     stop answering the LocalAPI after N seconds
  FAKE_TAILSCALED_CORRUPT_STATE_ON_WRITE=1   write garbage into the state file
  FAKE_TAILSCALED_START_DELAY    LocalAPI `start` takes N seconds before it acts
  FAKE_TAILSCALED_NO_SERVER_STATUS=1         answer /server-status with 404
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from pathlib import Path

from . import flags, logs
from .backend import Backend
from .ingress import start_ingress
from .localapi import BackendHolder, LocalAPIServer
from .logs import fatal, logf
from .proxy import start_proxies
from .store import FileStore, MemStore, StoreInitError

VERSION = "1.102.3-tfake-gsim"
_SIGNAL_NAMES = {signal.SIGTERM: "terminated", signal.SIGINT: "interrupt"}


def _env_float(name: str) -> float | None:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else None


def _check_tun(tun: str) -> None:
    if "userspace-networking" in tun.split(","):
        return
    fatal(
        f'wgengine.NewUserspaceEngine(tun "{tun}") error: tstun.New("{tun}"): '
        "operation not permitted (a TUN device needs root or CAP_NET_ADMIN and "
        "/dev/net/tun; use --tun=userspace-networking)"
    )


def _watch_parent(fd: int) -> None:
    """TS_PARENT_DEATH_FD: the supervisor holds the write end; EOF means it died."""
    try:
        while os.read(fd, 1024):
            pass
    except OSError:
        pass
    fatal("parent death fd closed; exiting")


def _listen(path: Path, holder: BackendHolder) -> LocalAPIServer:
    if path.exists() or path.is_symlink():
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()  # stale socket from a killed daemon
        else:
            fatal(f"{path}: address already in use")
        finally:
            probe.close()
    path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    server = LocalAPIServer(str(path), holder, VERSION)
    path.chmod(0o666)  # authorization is by peer credentials, not file mode
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _open_store(state: str) -> tuple[MemStore, str]:
    if state == "mem:":
        return MemStore(), ""
    corrupt = os.environ.get("FAKE_TAILSCALED_CORRUPT_STATE_ON_WRITE") == "1"
    try:
        return FileStore(Path(state), corrupt_writes=corrupt), ""
    except StoreInitError as err:
        message = f"store.New: {err}"
        logf(f"getLocalBackend: {message}; continuing with an in-memory store")
        return MemStore(), message


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    opts, rest = flags.parse_or_exit(argv)
    if opts.version:
        print(VERSION)
        sys.exit(0)
    verbose = opts.verbose or int(os.environ.get("TS_LOG_VERBOSITY") or 0)
    log_id = logs.setup(os.environ.get("TS_LOGS_DIR", ""), verbose)
    logf("logtail started")
    logf(f"Program starting: v{VERSION}, Python simulator: {['tailscaled', *argv]}")
    logf(f"LogID: {log_id}")
    if rest:
        fatal(
            "tailscaled does not take non-flag arguments: ["
            + " ".join(f'"{a}"' for a in rest)
            + "]"
        )
    if opts.no_logs_no_support or os.environ.get("TS_NO_LOGS_NO_SUPPORT") == "true":
        logf("Disabling log uploads (--no-logs-no-support)")
    if _env_float("FAKE_TAILSCALED_CRASH_AFTER") == 0:
        fatal("simulated crash at start (FAKE_TAILSCALED_CRASH_AFTER=0)")
    if not opts.socket:
        fatal("--socket is required")
    _check_tun(str(opts.tun))
    if not opts.state and not opts.statedir:
        fatal("--statedir (or at least --state) is required")
    if opts.statedir:
        Path(str(opts.statedir)).mkdir(mode=0o700, parents=True, exist_ok=True)
    state = str(opts.state or Path(str(opts.statedir)) / "tailscaled.state")

    if fd := os.environ.get("TS_PARENT_DEATH_FD"):
        threading.Thread(target=_watch_parent, args=(int(fd),), daemon=True).start()
    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        received.append(signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        udp.bind(("0.0.0.0", int(opts.port)))
    except OSError as err:
        fatal(f"wgengine.NewUserspaceEngine: magicsock: listen udp4 :{opts.port}: {err}")
    logf(f"magicsock: listening on 0.0.0.0:{udp.getsockname()[1]} (userspace-networking)")

    holder = BackendHolder()
    socket_path = Path(str(opts.socket))
    server = _listen(socket_path, holder)
    logf(f"Listening on {socket_path}")
    server.start_delay = _env_float("FAKE_TAILSCALED_START_DELAY") or 0.0
    server.no_server_status = os.environ.get("FAKE_TAILSCALED_NO_SERVER_STATUS") == "1"

    if (crash := _env_float("FAKE_TAILSCALED_CRASH_AFTER")) is not None:
        threading.Timer(crash, fatal, ["simulated crash (FAKE_TAILSCALED_CRASH_AFTER)"]).start()
    if (hang := _env_float("FAKE_TAILSCALED_HANG_AFTER")) is not None:
        threading.Timer(hang, server.hung.set).start()
    if (delay := _env_float("TS_DEBUG_BACKEND_DELAY_SEC")) and not stop.wait(delay):
        logf(f"backend started after a debug delay of {delay} s")

    backend = None
    if not stop.is_set():
        store, store_error = _open_store(state)
        backend = Backend(
            store, version=VERSION, ephemeral=state == "mem:", store_error=store_error
        )
        start_proxies(backend, str(opts.socks5_server), str(opts.outbound_http_proxy_listen))
        start_ingress(backend)
        backend.boot()
        holder.set(backend)
    while not stop.wait(0.5):
        pass
    logf(f"tailscaled got signal {_SIGNAL_NAMES.get(received[0], received[0])}; shutting down")
    if backend is not None:
        backend.shutdown()
    server.socket.close()
    socket_path.unlink(missing_ok=True)
    logf("shutdown complete")
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
