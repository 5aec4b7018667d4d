"""docs/architecture.md's module table names every module of the app and the host, and no other."""

import re

from tests.fixtures.processes import ROOT

DOC = (ROOT / "docs" / "architecture.md").read_text()
SECTION = DOC.split("## The tree is the architecture", 1)[1].split("\n## ", 1)[0]


def modules_in_the_tree() -> set[str]:
    return {
        str(path.relative_to(ROOT))
        for package in ("tailscale_sidecar", "tracearr")
        for path in (ROOT / package).rglob("*.py")
        if path.name != "__init__.py" and "migrations" not in path.parts
    }


def modules_in_the_table() -> set[str]:
    """Each row names a module (`models.py`) or a folder (`web/`) and the modules in it."""
    named = set()
    for row in re.findall(r"^\| `([^`]+)` \|(.*)\|$", SECTION, re.MULTILINE):
        where, job = row
        base = "" if where.startswith("tracearr/") else "tailscale_sidecar/"
        if where.endswith(".py"):
            named.add(base + where)
        else:
            named.update(base + where + name for name in re.findall(r"`(\w+\.py)`", job))
    return named


def test_the_table_names_every_module_in_the_tree():
    missing = modules_in_the_tree() - modules_in_the_table()
    assert not missing, f"modules docs/architecture.md does not name: {sorted(missing)}"


def test_the_table_names_no_module_that_is_not_in_the_tree():
    gone = modules_in_the_table() - modules_in_the_tree()
    assert not gone, f"docs/architecture.md names modules that do not exist: {sorted(gone)}"
