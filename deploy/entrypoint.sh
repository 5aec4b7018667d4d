#!/bin/sh
# Start tracearr: wait for the database, migrate under a lock, create the owner
# if asked to, collect static files, then run every process of the Procfile
# under tracearr.procfile (which forwards SIGTERM/SIGINT to all of them).
#
# Environment it reads (the app reads more; see .env.example):
#   APP_ROOT              the checkout or /app in the image (default /app)
#   TRACEARR_DATA_DIR     writable data dir (default $APP_ROOT/data)
#   PORT, TRACEARR_BIND   where the web server listens (default 127.0.0.1:3000)
#   DB_WAIT_TIMEOUT       seconds to wait for the database (default 60)
#   TRACEARR_DEMO         true: also run the simulated control server and use
#                         the simulated tailscaled (no tailnet needed)
#   TRACEARR_DEMO_CONTROL_PORT  loopback port of the simulated control server
#                         (default: a free port)
#   STATIC_ROOT           collected only when writable (the image's is not)
#   REDIS_URL             unset: Celery's filesystem broker dirs are created
#   TAILSCALED_BIN        only to say so when there is no tailscaled
#   DJANGO_SUPERUSER_USERNAME  only to say how to log in
set -eu

APP_ROOT="${APP_ROOT:-/app}"
cd "$APP_ROOT"

DATA_DIR="${TRACEARR_DATA_DIR:-$APP_ROOT/data}"
mkdir -p "$DATA_DIR"
export TRACEARR_DATA_DIR="$DATA_DIR"

export PORT="${PORT:-3000}"
export TRACEARR_BIND="${TRACEARR_BIND:-127.0.0.1}"

log() { echo "entrypoint: $*" >&2; }

is_true() {
    case "$(echo "${1:-}" | tr '[:upper:]' '[:lower:]')" in
        1 | true | yes | on) return 0 ;;
        *) return 1 ;;
    esac
}

case "$TRACEARR_BIND" in
    0.0.0.0 | :: | "[::]" | "*")
        log "WARNING: the web server listens on every interface ($TRACEARR_BIND:$PORT)," \
            "not only on loopback. Anyone who can reach this host can reach the login page." \
            "Unset TRACEARR_BIND to serve the tailnet only."
        ;;
esac

# Without REDIS_URL, Celery's broker is a directory; kombu expects it to exist.
if [ -z "${REDIS_URL:-}" ]; then
    mkdir -p "$DATA_DIR/broker/queue" "$DATA_DIR/broker/processed"
fi

python manage.py wait_for_db --timeout "${DB_WAIT_TIMEOUT:-60}" --verbosity 0
python manage.py migrate_locked --verbosity 1
python manage.py ensure_owner

# The image collects static files at build time into a read-only directory;
# a local run collects them into the data dir (the settings' default).
static_root="${STATIC_ROOT:-$DATA_DIR/static}"
if [ -w "$static_root" ] || [ ! -e "$static_root" ]; then
    python manage.py collectstatic --noinput --verbosity 0
fi

PROCFILE="$APP_ROOT/Procfile"
if is_true "${TRACEARR_DEMO:-false}"; then
    control_port="${TRACEARR_DEMO_CONTROL_PORT:-$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
    export TAILSCALE_CONTROL_URL="http://127.0.0.1:$control_port"
    TAILSCALED_BIN="$(command -v fake-tailscaled)" || {
        log "demo mode needs fake-tailscaled (installed with this package)"
        exit 1
    }
    export TAILSCALED_BIN
    # The demo adds one process to the same definitions rather than keeping a
    # second copy of them.
    PROCFILE="$DATA_DIR/Procfile.demo"
    {
        echo "control: exec fake-tailscale-control --https --listen 127.0.0.1:$control_port --data '$DATA_DIR/demo-control'"
        cat "$APP_ROOT/Procfile"
    } >"$PROCFILE"
    log "demo mode: simulated tailnet, control server at $TAILSCALE_CONTROL_URL"
elif ! command -v "${TAILSCALED_BIN:-tailscaled}" >/dev/null 2>&1; then
    log "no tailscaled found (TAILSCALED_BIN=${TAILSCALED_BIN:-tailscaled}): the app runs," \
        "and its Tailscale page shows 'unavailable'"
fi

case "$TRACEARR_BIND" in
    0.0.0.0 | :: | "[::]" | "*") url_host=127.0.0.1 ;;
    *:*) url_host="[$TRACEARR_BIND]" ;;
    *) url_host="$TRACEARR_BIND" ;;
esac
if [ -n "${DJANGO_SUPERUSER_USERNAME:-}" ]; then
    login="log in as '$DJANGO_SUPERUSER_USERNAME' with DJANGO_SUPERUSER_PASSWORD"
else
    login="the first visit creates the owner account (if there is none yet)"
fi
log "tracearr is starting on http://$url_host:$PORT/ - $login"

# The caller provides the environment (Compose's env_file; bin/run reads .env
# itself): the runner passes it on unchanged and reads no .env of its own.
exec python -m tracearr.procfile "$PROCFILE" --cwd "$APP_ROOT"
