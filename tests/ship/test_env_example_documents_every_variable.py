"""Every environment variable the app and its start-up read is in .env.example."""

from __future__ import annotations

import re

import pytest

from .helpers import ROOT

ENV_EXAMPLE = (ROOT / ".env.example").read_text()
DOCUMENTED = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE, re.MULTILINE))

# Set by the entrypoint for the Procfile, or by the platform: not configuration.
NOT_CONFIGURATION = {"PATH", "HOME"}

SOURCES = {
    "tracearr/settings.py": r"""(?:env\.\w+|env_bool|env)\(\s*["']([A-Z][A-Z0-9_]+)["']""",
    "deploy/gunicorn.conf.py": r"""environ\.get\(\s*["']([A-Z][A-Z0-9_]+)["']""",
    "deploy/entrypoint.sh": r"\$\{([A-Z][A-Z0-9_]+)(?::-|\})",
    "bin/run": r"\$\{([A-Z][A-Z0-9_]+)(?::-|\})",
    "bin/_venv.sh": r"\$\{([A-Z][A-Z0-9_]+)(?::-|\})",
    "tracearr/management/commands/ensure_owner.py": r"""environ\.get\(\s*["']([A-Z][A-Z0-9_]+)["']""",
    "tailscale_sidecar/conf.py": r'(?:\(\s*|environ\.get\()"([A-Z][A-Z0-9_]+)"',
}


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_variables_read_by_the_source_are_documented(source):
    names = set(re.findall(SOURCES[source], (ROOT / source).read_text())) - NOT_CONFIGURATION
    assert names, f"found no variables in {source}: the pattern is stale"
    assert not names - DOCUMENTED, f"undocumented in .env.example: {sorted(names - DOCUMENTED)}"


def test_the_example_sets_no_secret_values():
    for name in ("SECRET_KEY", "TAILSCALE_STATE_KEYS", "POSTGRES_PASSWORD"):
        assert re.search(rf"^{name}=$", ENV_EXAMPLE, re.MULTILINE), name
