"""Requests/s through the HTTPS front door, the plain forwarded port and direct loopback.

A node joins the simulated tailnet (HTTPS on) under the supervisor, beside
gunicorn as deployed (deploy/gunicorn.conf.py, DEBUG off, access log on). One
load generator (threads with keep-alive connections, the same client for every
path) asks for `GET /api/v1/health` as an anonymous visitor:

- direct: a local client on 127.0.0.1:PORT;
- plain: a tailnet device on http://<name>:PORT (simulated wire, forwarded by
  the daemon, whois on the connection);
- https: the same device on https://<name>/ (TLS and the serve proxy).

Each path runs twice per round, interleaved: as is (the app works out who is
asking: whois on the connection, or the serve headers) and with an
`Authorization` header, which makes the sign-in middleware skip that work. The
ratio of the two is the cost of the app's own identity work, which must stay
within 10 %. The simulator's TLS and proxy are Python, not tailscaled, so the
https/direct ratio is a regression guard, not a prediction.

    .venv/bin/python bench/front_door.py [--seconds 5] [--threads 6] [--rounds 3]
"""

from __future__ import annotations

import argparse
import http.client
import secrets
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from _common import ROOT, BenchEnv, free_port, http_ok, stop_group, summary, wait_for, write_results

from tailscale_sidecar.simulator.harness import FakeControl, SupervisorProcess, fake_tailscaled_path

TARGET_IDENTITY_COST = 0.10
PATH = "/api/v1/health"
SKIP_IDENTITY = {"Authorization": "Bearer not-a-token"}  # health ignores it; the middleware too


class Connection(http.client.HTTPConnection):
    """An HTTP/1.1 keep-alive connection over a socket someone else opened."""

    def __init__(self, host: str, open_socket: Callable[[], socket.socket]) -> None:
        super().__init__(host, timeout=15)
        self._open_socket = open_socket

    def connect(self) -> None:
        self.sock = self._open_socket()


def load(
    host: str, opener: Callable[[], socket.socket], headers: dict, seconds: float, threads: int
) -> dict:
    counts = [0] * threads
    errors = [0] * threads
    stop_at = time.monotonic() + seconds

    def worker(n: int) -> None:
        connection = Connection(host, opener)
        while time.monotonic() < stop_at:
            try:
                connection.request("GET", PATH, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    counts[n] += 1
                else:
                    errors[n] += 1
            except (OSError, http.client.HTTPException):
                errors[n] += 1
                connection.close()
        connection.close()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    started = time.monotonic()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started
    return {"rps": sum(counts) / elapsed, "errors": sum(errors)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    env = BenchEnv()
    env.setup_django()
    from tailscale_sidecar.models import DesiredConfig, ObservedStatus

    control = FakeControl(env.root / "control").start()
    control.set_https(True)
    control.add_user("bob@example.com", "Bob")
    device = str(control.add_device("bob-laptop", user="bob@example.com")["id"])
    port = free_port()
    common = {
        **env.env,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PORT": str(port),
        "TAILSCALED_BIN": str(fake_tailscaled_path()),
        "TAILSCALE_CONTROL_URL": control.url,
        "TAILSCALE_AUTHKEY": control.create_auth_key(),
    }
    log = (env.root / "gunicorn.log").open("wb")
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"],
        cwd=ROOT,
        env={**common, "TRACEARR_BIND": "127.0.0.1"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    supervisor = SupervisorProcess(common, env.root / "supervisor.log", cwd=ROOT)
    runs: dict[str, list[dict]] = {}
    try:
        wait_for(lambda: http_ok(f"http://127.0.0.1:{port}{PATH}"), timeout=30)
        DesiredConfig.update(enabled=True, hostname="bench")
        wait_for(lambda: ObservedStatus.load().https_url, timeout=60, message=supervisor.log_text)
        name = ObservedStatus.load().dns_name
        node = next(str(n["id"]) for n in control.nodes() if n.get("hostname") == "bench")
        tls = ssl.create_default_context(cadata=control.ca_pem())

        def direct() -> socket.socket:
            return socket.create_connection(("127.0.0.1", port), timeout=15)

        def plain() -> socket.socket:
            return socket.create_connection(control.connect(device, node, port), timeout=15)

        def https() -> socket.socket:
            raw = socket.create_connection(control.connect(device, node, 443), timeout=15)
            return tls.wrap_socket(raw, server_hostname=name)

        paths = {
            "direct": (f"127.0.0.1:{port}", direct),
            "plain": (f"{name}:{port}", plain),
            "https": (name, https),
        }
        load(*paths["direct"], {}, 1.0, args.threads)  # warm up
        for _ in range(args.rounds):
            for label, (host, opener) in paths.items():
                for variant, headers in (("", {}), ("-skip", SKIP_IDENTITY)):
                    result = load(host, opener, headers, args.seconds, args.threads)
                    runs.setdefault(label + variant, []).append(result)
    finally:
        supervisor.cleanup()
        stop_group(web)
        log.close()
        control.stop()
        env.cleanup()

    rps = {label: summary([r["rps"] for r in rs])["median"] for label, rs in runs.items()}
    costs = {label: 1 - rps[label] / rps[label + "-skip"] for label in ("direct", "plain", "https")}
    figures = {
        "seconds": args.seconds,
        "threads": args.threads,
        "rounds": args.rounds,
        "runs": runs,
        "rps_median": rps,
        "ratio_plain_over_direct": rps["plain"] / rps["direct"],
        "ratio_https_over_direct": rps["https"] / rps["direct"],
        "identity_cost": costs,
        "target_identity_cost": TARGET_IDENTITY_COST,
        "meets_target": all(cost <= TARGET_IDENTITY_COST for cost in costs.values()),
    }
    path = write_results("front_door", figures)
    print(
        f"GET {PATH} as an anonymous visitor, {args.threads} keep-alive connections, "
        f"{args.seconds:g} s x {args.rounds} rounds, interleaved"
    )
    for label in ("direct", "plain", "https"):
        print(
            f"  {label:7} {rps[label]:7.0f} req/s   without identity work {rps[label + '-skip']:7.0f}"
            f"   identity cost {costs[label] * 100:5.1f} % (target <= {TARGET_IDENTITY_COST:.0%})"
        )
    print(
        f"  plain/direct {figures['ratio_plain_over_direct']:.2f}, "
        f"https/direct {figures['ratio_https_over_direct']:.2f} (the simulator's wire and TLS)"
    )
    errors = sum(r["errors"] for rs in runs.values() for r in rs)
    print(f"  errors: {errors}")
    print(f"  -> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
