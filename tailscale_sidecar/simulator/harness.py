"""Start the simulator's processes, and the supervisor under test, from Python.

    with FakeControl(data_dir) as control, FakeTailscaled(state_dir) as daemon:
        ...  # talk to daemon.socket_path; drive control's admin API

    supervisor = SupervisorProcess(env, log_path, cwd=project_dir)  # manage.py's dir

Tests, benchmarks and demo mode use these. Each is a real child process in its
own process group, stopped by PID, never by name.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import psutil

LOCALAPI_HOST = "local-tailscaled.sock"


def wait_for(
    predicate: Callable[[], object],
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str | Callable[[], str] = "",
) -> object:
    """Poll until `predicate()` is truthy and return that value; TimeoutError otherwise.

    `message` may be a callable, evaluated only on timeout (e.g. to include logs).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise TimeoutError(text or f"condition not met within {timeout} s")
        time.sleep(interval)


def _script(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed (pip install -e . installs it)")
    return found


def fake_tailscaled_path() -> str:
    """Absolute path of the fake-tailscaled executable (for TAILSCALED_BIN)."""
    return _script("fake-tailscaled")


def _stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.wait()


class FakeControl:
    """fake-tailscale-control as a child process, plus its admin API."""

    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        tailnet: str = "example.com",
        magic_dns_suffix: str = "tail1234.ts.net",
        port: int = 0,
    ) -> None:
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="ts-control-", dir="/tmp"))
        self.tailnet = tailnet
        self.magic_dns_suffix = magic_dns_suffix
        self.port = port
        self.url = ""
        self.proc: subprocess.Popen | None = None
        self._http = httpx.Client(timeout=10.0, trust_env=False)

    def start(self) -> FakeControl:
        # A restart keeps the port, so daemons' ControlURL stays valid.
        self.proc = subprocess.Popen(
            [
                _script("fake-tailscale-control"),
                f"--listen=127.0.0.1:{self.port}",
                f"--data={self.data_dir}",
                f"--tailnet={self.tailnet}",
                f"--magicdns-suffix={self.magic_dns_suffix}",
            ],
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"fake-tailscale-control did not start: {line!r}")
        self.url = line.removeprefix("listening on ")
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    def stop(self) -> None:
        if self.proc is not None:
            _stop_process(self.proc)
            if self.proc.stdout:
                self.proc.stdout.close()
            self.proc = None

    def __enter__(self) -> FakeControl:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._http.close()

    # --- admin API ---------------------------------------------------------
    def _call(self, method: str, path: str, body: dict | None = None) -> object:
        response = self._http.request(method, self.url + path, json=body)
        response.raise_for_status()
        return response.json()

    def _object(self, method: str, path: str, body: dict | None = None) -> dict[str, object]:
        answer = self._call(method, path, body)
        if not isinstance(answer, dict):
            raise RuntimeError(f"{method} {path} answered {answer!r}, not a JSON object")
        return answer

    def _list(self, path: str) -> list[dict[str, object]]:
        answer = self._call("GET", path)
        if not isinstance(answer, list) or not all(isinstance(item, dict) for item in answer):
            raise RuntimeError(f"GET {path} answered {answer!r}, not a list of JSON objects")
        return answer

    def create_auth_key(
        self,
        *,
        reusable: bool = False,
        ephemeral: bool = False,
        preauthorized: bool = True,
        tags: Sequence[str] = (),
        expiry_seconds: int = 3600,
    ) -> str:
        spec = {
            "reusable": reusable,
            "ephemeral": ephemeral,
            "preauthorized": preauthorized,
            "tags": list(tags),
            "expiry_seconds": expiry_seconds,
        }
        key = self._object("POST", "/admin/api/keys", spec)["key"]
        if not isinstance(key, str):
            raise RuntimeError(f"the admin API made a key that is not a string: {key!r}")
        return key

    def create_oauth_client(self, tags: Sequence[str]) -> tuple[str, str]:
        """A new OAuth client allowed to mint keys with `tags`: (client id, client secret)."""
        made = self._object("POST", "/admin/api/oauth-clients", {"tags": list(tags)})
        return str(made["client_id"]), str(made["client_secret"])

    def oauth_clients(self) -> list[dict[str, object]]:
        return self._list("/admin/api/oauth-clients")

    def nodes(self) -> list[dict[str, object]]:
        return self._list("/admin/api/nodes")

    def node(self, node_id: str) -> dict[str, object]:
        return self._object("GET", f"/admin/api/nodes/{node_id}")

    def approve(self, node_id: str) -> dict[str, object]:
        return self._object("POST", f"/admin/api/nodes/{node_id}/approve")

    def expire_key(self, node_id: str) -> dict[str, object]:
        return self._object("POST", f"/admin/api/nodes/{node_id}/expire")

    def delete_node(self, node_id: str) -> None:
        self._call("DELETE", f"/admin/api/nodes/{node_id}")

    def set_require_machine_auth(self, on: bool) -> None:
        self._call("POST", "/admin/api/settings", {"require_machine_auth": on})

    def set_offline(self, on: bool) -> None:
        self._call("POST", "/admin/api/settings", {"offline": on})

    def set_https(self, on: bool) -> None:
        """The tailnet's HTTPS certificates feature (CertDomains in every node's status)."""
        self._call("POST", "/admin/api/settings", {"https": on})

    def add_user(self, login_name: str, display_name: str) -> dict[str, object]:
        body = {"login_name": login_name, "display_name": display_name}
        return self._object("POST", "/admin/api/users", body)

    def add_device(
        self, hostname: str, *, user: str = "", tags: Sequence[str] = (), exit_node: bool = False
    ) -> dict[str, object]:
        """A peer without a daemon; answers the node (its "id" is what `connect` takes).

        `exit_node`: it offers an (approved) exit node; its `exit_flows` list what it carried.
        """
        body: dict[str, object] = {"hostname": hostname}
        body.update({"user": user} if user else {"tags": list(tags)})
        if exit_node:
            body["exit_node"] = True
        return self._object("POST", "/admin/api/devices", body)

    def set_online(self, node_id: str, online: bool) -> dict[str, object]:
        """Take a device (made by `add_device`) offline or back online, in every netmap."""
        return self._object("POST", f"/admin/api/nodes/{node_id}/online", {"online": online})

    def connect(self, from_id: str, to: str, port: int) -> tuple[str, int]:
        """(host, port) whose next TCP connection is `from_id` reaching node `to` on `port`."""
        body = {"to": to, "port": port}
        address = self._object("POST", f"/admin/api/nodes/{from_id}/connect", body)["address"]
        host, _, number = str(address).rpartition(":")
        return host, int(number)

    def peer_proxy(self, device_id: str) -> str:
        """The URL of an HTTP proxy through which every connection is `device_id`'s."""
        return str(self._object("POST", f"/admin/api/nodes/{device_id}/proxy")["proxy"])

    def ca_pem(self) -> str:
        """The simulated CA that signs every node's HTTPS certificate."""
        response = self._http.get(self.url + "/admin/api/ca.pem")
        response.raise_for_status()
        return response.text

    def auth_urls(self) -> list[dict[str, object]]:
        return self._list("/admin/api/auth-urls")

    def consent(self, auth_url: str) -> None:
        """What the owner's click on "Connect" does."""
        self._http.post(auth_url).raise_for_status()


class FakeTailscaled:
    """fake-tailscaled as a child process, started like the real binary."""

    def __init__(
        self,
        state_dir: Path,
        *,
        socket_dir: Path | None = None,
        state: str | None = None,
        extra_args: Sequence[str] = (),
        env: dict | None = None,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.socket_dir = Path(socket_dir or tempfile.mkdtemp(prefix="ts-", dir="/tmp"))
        self.socket_path = self.socket_dir / "tailscaled.sock"
        self.state = state or str(self.state_dir / "tailscaled.state")
        self.state_path = Path(self.state)
        self.extra_args = list(extra_args)
        self.env = env
        self.logs_dir = self.socket_dir / "logs"
        self.stderr_path = self.socket_dir / "stderr.log"
        self.proc: subprocess.Popen | None = None
        self._client: httpx.Client | None = None

    def args(self) -> list[str]:
        return [
            fake_tailscaled_path(),
            "--tun=userspace-networking",
            f"--statedir={self.state_dir}",
            f"--state={self.state}",
            f"--socket={self.socket_path}",
            "--port=0",
            *self.extra_args,
        ]

    def start(self, wait: bool = True) -> FakeTailscaled:
        env = {**os.environ, "TS_LOGS_DIR": str(self.logs_dir), **(self.env or {})}
        with self.stderr_path.open("ab") as stderr:
            self.proc = subprocess.Popen(
                self.args(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=env,
                start_new_session=True,
                pass_fds=self._inherited_fds(env),
            )
        if wait:
            wait_for(self._ready, timeout=20.0, message=self._not_ready_message)
        return self

    @staticmethod
    def _inherited_fds(env: dict) -> tuple[int, ...]:
        fd = env.get("TS_PARENT_DEATH_FD")
        return (int(fd),) if fd else ()

    def _ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"fake-tailscaled exited early:\n{self.stderr_text()}")
        try:
            return self.get("/server-status", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def _not_ready_message(self) -> str:
        return f"fake-tailscaled did not become ready:\n{self.stderr_text()}"

    def client(self, timeout: float = 10.0) -> httpx.Client:
        """An httpx client on the LocalAPI socket (Host as the real client sends it)."""
        transport = httpx.HTTPTransport(uds=str(self.socket_path))
        return httpx.Client(
            transport=transport,
            base_url=f"http://{LOCALAPI_HOST}",
            timeout=timeout,
            trust_env=False,
        )

    def request(self, method: str, path: str, timeout: float = 10.0, **kwargs) -> httpx.Response:
        """A LocalAPI request on one shared client: cheap enough to poll with."""
        if self._client is None:
            self._client = self.client()
        return self._client.request(method, path, timeout=timeout, **kwargs)

    def get(self, path: str, timeout: float = 10.0) -> httpx.Response:
        return self.request("GET", path, timeout)

    def stop(self) -> int:
        """SIGTERM, then SIGKILL after 10 s; returns the exit status."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self.proc is None:
            return 0
        return _stop_process(self.proc)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stderr_text(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def __enter__(self) -> FakeTailscaled:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SupervisorProcess:
    """`manage.py tailscale_supervisor` in its own session, its output appended to `log_path`.

    `cwd` is the directory of the project's manage.py. `stop()` only stops the
    supervisor, so a test can see what it does to its tailscaled; `cleanup()`
    also kills any tailscaled it started that is still there.
    """

    _STARTED = re.compile(r"started tailscaled pid=(\d+)")

    def __init__(self, env: dict[str, str], log_path: Path, cwd: Path) -> None:
        self.env = env
        self.log_path = log_path
        # create_time has a coarse clock: a second of slack, never a younger process missed.
        self._started_at = time.time() - 1
        with log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "manage.py", "tailscale_supervisor"],
                cwd=cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tailscaled_pids(self) -> list[int]:
        """Every tailscaled this supervisor started, in order (from its log)."""
        return [int(pid) for pid in self._STARTED.findall(self.log_text())]

    def spawn_count(self) -> int:
        return len(self.tailscaled_pids())

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM and wait; SIGKILL its process group if it does not exit in time."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        return self.proc.wait(5)

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
        self.proc.wait(5)

    def cleanup(self) -> None:
        """Stop it, and any tailscaled of its own that survived (SIGSTOPped, orphaned)."""
        with contextlib.suppress(Exception):
            self.stop()
        for pid in self.tailscaled_pids():
            with contextlib.suppress(psutil.Error):
                proc = psutil.Process(pid)
                ours = "--tun=userspace-networking" in proc.cmdline()
                if ours and proc.create_time() >= self._started_at:
                    proc.send_signal(signal.SIGCONT)
                    proc.kill()
