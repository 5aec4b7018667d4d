"""tailscaled's command line, parsed the way Go's `flag` package does it.

Go accepts `-name`, `--name`, `-name=value` and `-name value` (the last only
for non-boolean flags); an unknown flag prints an error plus usage and exits 2.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

# name -> (kind, default, usage)
FLAGS: dict[str, tuple[str, object, str]] = {
    "tun": (
        "string",
        "tailscale0",
        'tunnel interface name; use "userspace-networking" (beta) to not use TUN',
    ),
    "state": ("string", "", "absolute path of state file; use 'mem:' for in-memory state"),
    "statedir": (
        "string",
        "",
        "path to directory for storage of config state, TLS certs, temporary incoming Taildrop files, etc.",
    ),
    "socket": ("string", "/var/run/tailscale/tailscaled.sock", "path of the service unix socket"),
    "port": (
        "int",
        0,
        "UDP port to listen on for WireGuard and peer-to-peer traffic; 0 means automatically select",
    ),
    "socks5-server": (
        "string",
        "",
        'optional [ip]:port to run a SOCK5 server (e.g. "localhost:1080")',
    ),
    "outbound-http-proxy-listen": (
        "string",
        "",
        'optional [ip]:port to run an outbound HTTP proxy (e.g. "localhost:8080")',
    ),
    "no-logs-no-support": (
        "bool",
        False,
        "disable log uploads; this also disables any technical support",
    ),
    "verbose": (
        "int",
        0,
        "log verbosity level; 0 is default, 1 or higher are increasingly verbose",
    ),
    "version": ("bool", False, "print version information and exit"),
}


class FlagError(Exception):
    """A command line Go's flag package would refuse (exit status 2)."""


@dataclass
class Options:
    values: dict[str, object]

    def __getattr__(self, name: str) -> object:
        try:
            return self.values[name.replace("_", "-")]
        except KeyError:
            raise AttributeError(name) from None


def usage() -> str:
    lines = ["Usage of tailscaled:"]
    for name, (kind, default, text) in sorted(FLAGS.items()):
        lines.append(f"  -{name}" + ("" if kind == "bool" else f" {kind}"))
        shown = f" (default {default!r})".replace("'", '"') if default not in ("", 0, False) else ""
        lines.append(f"    \t{text}{shown}")
    return "\n".join(lines) + "\n"


def _convert(name: str, kind: str, raw: str) -> object:
    try:
        if kind == "int":
            return int(raw, 0)
        if kind == "bool":
            truth = {"1": True, "t": True, "true": True, "0": False, "f": False, "false": False}
            return truth[raw.lower()]
    except (ValueError, KeyError):
        raise FlagError(f'invalid value "{raw}" for flag -{name}: parse error') from None
    return raw


def parse(argv: list[str]) -> tuple[Options, list[str]]:
    """Parse flags; returns the options and the non-flag arguments."""
    values = {name: spec[1] for name, spec in FLAGS.items()}
    args = list(argv)
    while args:
        arg = args[0]
        if arg == "--":
            args.pop(0)
            break
        if len(arg) < 2 or not arg.startswith("-"):
            break
        args.pop(0)
        name = arg[2:] if arg.startswith("--") else arg[1:]
        name, has_value, raw = name.partition("=")
        if name in ("h", "help"):
            raise FlagError("")
        if name not in FLAGS:
            raise FlagError(f"flag provided but not defined: -{name}")
        kind = FLAGS[name][0]
        if not has_value and kind != "bool":
            if not args:
                raise FlagError(f"flag needs an argument: -{name}")
            raw = args.pop(0)
        elif not has_value:
            raw = "true"
        values[name] = _convert(name, kind, raw)
    return Options(values), args


def parse_or_exit(argv: list[str]) -> tuple[Options, list[str]]:
    try:
        return parse(argv)
    except FlagError as err:
        if str(err):
            sys.stderr.write(f"{err}\n")
        sys.stderr.write(usage())
        sys.exit(0 if not str(err) else 2)
