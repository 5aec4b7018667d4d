# Sourced by bin/run and bin/test; defines `ensure_venv [EXTRAS]`, which makes
# sure .venv exists and holds this checkout's dependencies (plus EXTRAS, e.g.
# "dev") and puts it first on PATH. Reinstalls only when pyproject.toml changed.
# Sourcing runs nothing, so the file never sees its caller's arguments.
# TRACEARR_SKIP_VENV=true uses the Python already on PATH instead (an
# environment someone else manages: a container, a distro package).

ensure_venv() {
    local extras="${1:-}"
    local root venv py want stamp
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    venv="$root/.venv"
    py="${PYTHON:-python3}"
    if [ "${TRACEARR_SKIP_VENV:-false}" = "true" ]; then
        return 0
    fi
    if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "tracearr needs Python 3.11 or newer (found: $("$py" --version 2>&1))." >&2
        exit 1
    fi
    [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
    want="$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)"
    stamp="$venv/.installed${extras:+-$extras}"
    # The dev install is a superset of the plain one, so it satisfies bin/run too.
    if ! _venv_stamp_matches "$stamp" "$want" \
        && ! { [ -z "$extras" ] && _venv_stamp_matches "$venv/.installed-dev" "$want"; }; then
        echo "Installing dependencies into .venv (the first run takes about a minute) ..." >&2
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            -e "$root${extras:+[$extras]}" >&2
        echo "$want" >"$stamp"
    fi
    export PATH="$venv/bin:$PATH"
}

_venv_stamp_matches() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
