# tracearr: the Django app, its Celery worker, and a supervised userspace
# tailscaled, in one unprivileged container. See docs/deploy.md.
#
# Build:  docker build -t tracearr .
#         docker build --build-arg TAILSCALE_VERSION=1.102.3 -t tracearr .
# Runs as UID/GID 10001 (override with `user:`); needs no capabilities, no
# /dev/net/tun and no published port; works with a read-only root filesystem
# when /data (state) and /tmp are writable.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
# Pinned by tag. For reproducible builds pin the digest as well, e.g.
#   FROM tailscale/tailscale:v1.102.3@sha256:<digest> AS tailscale
# (`docker buildx imagetools inspect tailscale/tailscale:v1.102.3` prints it).
ARG TAILSCALE_VERSION=1.102.3

FROM tailscale/tailscale:v${TAILSCALE_VERSION} AS tailscale

# --- builder: a virtualenv with the dependencies and the app installed -------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /app
# Dependencies first, from pyproject alone, so code edits reuse this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install --requirement /tmp/requirements.txt
# The rest of the project; .dockerignore keeps tests, data and tooling out.
COPY . .
# An editable install: the code stays in /app (where settings expect the
# project root) and the console scripts (fake-tailscaled, ...) still exist.
RUN pip install --no-deps --config-settings editable_mode=compat --editable . \
    && python -m compileall -q /app/tracearr /app/tailscale_sidecar \
    && SECRET_KEY=collectstatic-only STATIC_ROOT=/app/staticfiles TRACEARR_DATA_DIR=/tmp/build-data \
       python manage.py collectstatic --noinput --verbosity 0 \
    && rm -rf /tmp/build-data

# --- runtime ---------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
ARG TAILSCALE_VERSION
LABEL org.opencontainers.image.title="tracearr" \
      org.opencontainers.image.description="A Django app that joins its owner's tailnet through a supervised, userspace tailscaled."

RUN groupadd --gid 10001 tracearr \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /data --shell /usr/sbin/nologin tracearr \
    && mkdir -p /data \
    && chown 10001:10001 /data \
    && chmod 0700 /data

COPY --from=tailscale /usr/local/bin/tailscaled /usr/local/bin/tailscale /usr/local/bin/
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app

# Everything that writes goes to /data (the volume) or /tmp (a tmpfs), so the
# root filesystem can be read-only. No secrets here: they come at run time.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    APP_ROOT=/app \
    TRACEARR_DATA_DIR=/data \
    STATIC_ROOT=/app/staticfiles \
    TAILSCALED_BIN=/usr/local/bin/tailscaled \
    TAILSCALE_VERSION=${TAILSCALE_VERSION} \
    PORT=3000 \
    TRACEARR_BIND=127.0.0.1

WORKDIR /app
USER 10001:10001
VOLUME ["/data"]

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/api/v1/health' % os.environ.get('PORT', '3000'), timeout=4)"]

ENTRYPOINT ["/app/deploy/entrypoint.sh"]
