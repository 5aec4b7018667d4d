"""GET /api/v1/tailscale (Bearer token) against GET /api/v1/health under wrk.

gunicorn runs with deploy/gunicorn.conf.py (its defaults, DEBUG off). wrk
drives each endpoint for 10 s at 50 connections, interleaved health, status,
health, status; the figure is status/health throughput.

    .venv/bin/python bench/status_api.py [--duration 10] [--connections 50] [--rounds 2]
"""

from __future__ import annotations

import argparse
import re
import secrets
import shutil
import subprocess
import sys
import time

import httpx
from _common import ROOT, BenchEnv, free_port, http_ok, stop_group, summary, wait_for, write_results

TARGET_RATIO = 0.8
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def parse_wrk(output: str) -> dict[str, float]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M).groups()
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output)) + int(
        (re.search(r"Non-2xx or 3xx responses: (\d+)", output) or [0, 0])[1]
    )
    return {"rps": rps, "p99_s": float(value) * _UNITS[unit], "errors": errors}


def run_wrk(url: str, script: str, duration: int, connections: int) -> dict[str, float]:
    result = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script, url],
        capture_output=True,
        text=True,
        check=True,
    )
    return parse_wrk(result.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2

    env = BenchEnv()
    env.setup_django()
    from django.contrib.auth import get_user_model

    from tailscale_sidecar.models import DesiredConfig, ObservedStatus
    from tailscale_sidecar.web.tokens import create_token

    owner = get_user_model().objects.create_user("owner", password=None, is_staff=True)
    token = create_token(owner, "bench")[1]
    DesiredConfig.update(enabled=True, hostname="bench-node")
    ObservedStatus.write(
        phase="running",
        backend_state="Running",
        hostname="bench-node",
        node_id="nBench1CNTRL",
        tailnet_ips=["100.101.102.103", "fd7a:115c:a1e0::1"],
        dns_name="bench-node.tail1234.ts.net",
        tailnet_name="example.com",
    )

    port = free_port()
    web_env = {
        **env.env,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PORT": str(port),
        "TRACEARR_BIND": "127.0.0.1",
    }
    auth_script = env.root / "bearer.lua"
    auth_script.write_text(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
    plain_script = env.root / "plain.lua"
    plain_script.write_text("-- no extra headers\n")
    log = (env.root / "gunicorn.log").open("wb")
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"],
        cwd=ROOT,
        env=web_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    runs: dict[str, list[dict[str, float]]] = {"health": [], "status": []}
    try:
        wait_for(lambda: http_ok(f"{base}/health"), timeout=30)
        check = httpx.get(f"{base}/tailscale", headers={"Authorization": f"Bearer {token}"})
        check.raise_for_status()
        # Warm every worker before measuring.
        run_wrk(f"{base}/health", str(plain_script), 2, args.connections)
        for _ in range(args.rounds):
            runs["health"].append(
                run_wrk(f"{base}/health", str(plain_script), args.duration, args.connections)
            )
            runs["status"].append(
                run_wrk(f"{base}/tailscale", str(auth_script), args.duration, args.connections)
            )
            time.sleep(0.5)  # let sockets drain between runs, not a measurement
    finally:
        stop_group(web)
        log.close()
        env.cleanup()

    health_rps = summary([r["rps"] for r in runs["health"]])["median"]
    status_rps = summary([r["rps"] for r in runs["status"]])["median"]
    ratio = status_rps / health_rps
    figures = {
        "duration_s": args.duration,
        "connections": args.connections,
        "rounds": args.rounds,
        "runs": runs,
        "health_rps_median": health_rps,
        "status_rps_median": status_rps,
        "health_p99_s_median": summary([r["p99_s"] for r in runs["health"]])["median"],
        "status_p99_s_median": summary([r["p99_s"] for r in runs["status"]])["median"],
        "ratio_status_over_health": ratio,
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
    }
    path = write_results("status_api", figures)
    print(
        f"status API under wrk ({args.connections} connections, {args.duration} s x {args.rounds})"
    )
    print(
        f"  GET /health:    {health_rps:.0f} req/s, p99 {figures['health_p99_s_median'] * 1000:.0f} ms"
    )
    print(
        f"  GET /tailscale: {status_rps:.0f} req/s, p99 {figures['status_p99_s_median'] * 1000:.0f} ms"
    )
    print(f"  ratio status/health: {ratio:.2f} (target >= {TARGET_RATIO})")
    errors = sum(r["errors"] for rs in runs.values() for r in rs)
    print(f"  socket errors + non-2xx: {errors}")
    print(f"  -> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
