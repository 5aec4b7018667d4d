# Sourced by bin/run and bin/test: make sure .venv exists and holds this
# checkout's dependencies. Reinstalls only when pyproject.toml changed.
# TRACEARR_SKIP_VENV=true uses the Python already on PATH instead (an
# environment someone else manages: a container, a distro package, CI).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
EXTRAS="${1:-}"
PY="${PYTHON:-python3}"
if [ "${TRACEARR_SKIP_VENV:-false}" = "true" ]; then
    return 0 2>/dev/null || exit 0
fi
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "tracearr needs Python 3.11 or newer (found: $("$PY" --version 2>&1))." >&2
    exit 1
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
stamp_matches() { [ -f "$1" ] && [ "$(cat "$1")" = "$want" ]; }
stamp="$VENV/.installed${EXTRAS:+-$EXTRAS}"
# The dev install is a superset of the plain one, so it satisfies bin/run too.
if ! stamp_matches "$stamp" && ! { [ -z "$EXTRAS" ] && stamp_matches "$VENV/.installed-dev"; }; then
    echo "Installing dependencies into .venv ..." >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT${EXTRAS:+[$EXTRAS]}" >&2
    echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
