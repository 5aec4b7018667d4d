"""Django settings for tracearr, read from the environment.

Every variable the app reads is listed in `.env.example` and the README's
configuration table. Values are parsed by django-environ; a value that does not
parse is an error at start-up, never a silent default.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from tailscale_sidecar.conf import check_web_bind

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """A boolean that accepts only true/false spellings; anything else stops start-up."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw not in _TRUE | _FALSE:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use true or false.")
    return raw in _TRUE


DEBUG = env_bool("DEBUG", default=False)
DEMO_MODE = env_bool("TRACEARR_DEMO", default=False)

DATA_DIR = Path(env.str("TRACEARR_DATA_DIR", default=str(BASE_DIR / "data"))).resolve()

# SECRET_KEY: required unless DEBUG is on; may come from a file (Docker secrets).
if env.str("SECRET_KEY_FILE", default=""):
    SECRET_KEY = Path(env.str("SECRET_KEY_FILE")).read_text().strip()
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE), or DEBUG=true for local use."
        )
    SECRET_KEY = "insecure-debug-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Before tailscale_sidecar: its templates/tailscale_sidecar/base.html frames the app's pages.
    "tracearr",
    "tailscale_sidecar",
]

MIDDLEWARE = [
    # First: the scheme and X-Forwarded-* headers every later layer sees.
    "tailscale_sidecar.web.frontdoor.FrontDoorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tailscale_sidecar.web.middleware.TailnetHostsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signs in trusted tailnet logins; needs the user (above) and the front door (first).
    "tailscale_sidecar.web.signin.TailnetSignInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tracearr.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tracearr.context_processors.demo_mode",
            ],
        },
    },
]

WSGI_APPLICATION = "tracearr.wsgi.application"

# An empty DATABASE_URL means the embedded default, like an unset one.
DATABASES = {
    "default": environ.Env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{DATA_DIR / 'tracearr.sqlite3'}"
    ),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Several processes (web, supervisor, worker) share one SQLite file: WAL lets
    # readers run beside the one writer, and the timeout rides out short locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "tailscale_sidecar:settings"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(DATA_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "tracearr.storage.ForgivingManifestStorage"
        )
    },
}
# Also serve the apps' own static folders, so a server started before
# collectstatic still has its CSS (see tracearr/storage.py).
WHITENOISE_USE_FINDERS = True

# Security headers. TLS is terminated by tailscaled's serve (the HTTPS front
# door), if at all: tailnet traffic is already encrypted end to end by
# WireGuard. Cookies get the Secure flag on HTTPS responses
# (tailscale_sidecar/web/frontdoor.py); these settings force it everywhere,
# which breaks the plain http://<name>:PORT/ URL.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
# Off by default: a node answers at <name>.<tailnet>.ts.net, a domain its owner
# can't preload; turn them on only for a domain of your own.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
# Never SECURE_PROXY_SSL_HEADER: every tailnet peer reaches the plain port
# through tailscaled unchanged and could send X-Forwarded-Proto itself. Only a
# request tailscaled's serve proxied counts as HTTPS (web/frontdoor.py).
if env_bool("TRUST_X_FORWARDED_PROTO", default=False):
    raise ImproperlyConfigured(
        "TRUST_X_FORWARDED_PROTO is no longer supported: any tailnet peer could forge the "
        "header. Remove it; HTTPS on the tailnet name is the Settings page's "
        '"HTTPS on your tailnet name".'
    )

# --- Redis and Celery --------------------------------------------------------
# Without REDIS_URL, Celery uses kombu's filesystem transport under the data
# dir, so a fresh machine with only Python still runs the worker and beat.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
_BROKER_FOLDERS = (
    {}
    if REDIS_URL
    else {
        "data_folder_in": DATA_DIR / "broker" / "queue",
        "data_folder_out": DATA_DIR / "broker" / "queue",
        "processed_folder": DATA_DIR / "broker" / "processed",
        "control_folder": DATA_DIR / "broker" / "control",
    }
)
for _folder in _BROKER_FOLDERS.values():
    _folder.mkdir(parents=True, exist_ok=True)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
    name: str(path) for name, path in _BROKER_FOLDERS.items()
}
if not REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS["store_processed"] = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = TIME_ZONE

# --- Tailscale sidecar -------------------------------------------------------
# The app reads its TAILSCALE_* variables itself (tailscale_sidecar/conf.py).
# Housekeeping only: the supervisor restarts tailscaled without Celery.
CELERY_BEAT_SCHEDULE = {
    "tailscale-prune-state-versions": {
        "task": "tailscale_sidecar.tasks.prune_state_versions",
        "schedule": 3600.0,
    },
    "tailscale-check-key-expiry": {
        "task": "tailscale_sidecar.tasks.check_key_expiry",
        "schedule": 3600.0,
    },
}
# Where the web server listens (deploy/gunicorn.conf.py reads the same
# variables): tailnet traffic for <node>:PORT arrives at 127.0.0.1:PORT.
TRACEARR_PORT = env.int("PORT", default=3000)
TRACEARR_BIND = env.str("TRACEARR_BIND", default="127.0.0.1")
check_web_bind(TRACEARR_BIND)
TAILSCALE_WEB_PORT = TRACEARR_PORT
TAILSCALE_WEB_BIND = TRACEARR_BIND or "0.0.0.0"  # gunicorn binds every address to ""

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}
