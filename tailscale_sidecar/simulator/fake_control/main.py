"""fake-tailscale-control --listen 127.0.0.1:PORT --data DIR [--tailnet NAME] [--magicdns-suffix SUFFIX]

With port 0 the first stdout line is `listening on http://127.0.0.1:<port>`.
SIGTERM/SIGINT stop it at once; the tailnet stays in DIR/control.json.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from .server import ControlServer
from .tailnet import Tailnet


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="fake-tailscale-control")
    parser.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (port 0 picks one)")
    parser.add_argument("--data", required=True, type=Path, help="directory for the tailnet")
    parser.add_argument("--tailnet", default="example.com")
    parser.add_argument("--magicdns-suffix", default="tail1234.ts.net")
    parser.add_argument(
        "--https", action="store_true", help="turn the tailnet's HTTPS certificates on"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    tailnet = Tailnet(args.data, name=args.tailnet, magic_dns_suffix=args.magicdns_suffix)
    if args.https:
        tailnet.update_settings({"https": True})
    server = ControlServer((host or "127.0.0.1", int(port)), tailnet)
    print(f"listening on {server.base_url}", flush=True)

    def stop(signum: int, frame: object) -> None:
        # Every change is already saved atomically: nothing to flush, exit at once.
        sys.stdout.flush()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()


if __name__ == "__main__":
    main()
