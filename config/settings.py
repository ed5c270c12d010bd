"""Settings of the league server.

Every setting a deployment changes comes from an environment variable with an embedded
default, so a fresh clone runs as is (SQLite file, local media folder, in-memory channel
layer, workers on the same machine) and a scale-out deployment changes only its
environment (PostgreSQL, Redis, many workers).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from simulator.deepracer.archive import DEFAULT_MAX_ARCHIVE_BYTES
from simulator.params import DEFAULT_MAX_METADATA_BYTES, DEFAULT_MAX_MODEL_BYTES

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Security -----------------------------------------------------------------------------
# DEBUG is on by default so that `make serve` works on a fresh clone; a deployment sets
# DEBUG=0 and must then give a real SECRET_KEY (the server refuses to start otherwise).
DEBUG = env_bool("DEBUG", True)
INSECURE_SECRET_KEY = "django-insecure-league-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "") or INSECURE_SECRET_KEY
if not DEBUG and (SECRET_KEY == INSECURE_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "DEBUG is off: set the SECRET_KEY environment variable to a random string of at "
        "least 32 characters (for example: python -c \"import secrets; "
        "print(secrets.token_urlsafe(50))\")."
    )
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# How many reverse proxies stand in front of the web processes. 0 (the default): none, so
# X-Forwarded-For and X-Forwarded-Proto are ignored entirely and the client is the socket's
# peer (REMOTE_ADDR); a client could write anything in those headers. With N, the client is
# the address the N-th proxy from us saw (web/clients.py), for the log-in lockouts and every
# rate limit alike, and the proxy's X-Forwarded-Proto says whether the request came over HTTPS.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)

# --- Applications -------------------------------------------------------------------------
INSTALLED_APPS = [
    # Daphne first: `runserver` then serves ASGI (HTTP and websockets).
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc from our own static files, no CDN
    "channels",
    "axes",  # counts failed log-ins, locks out by account and by address (web/logins.py)
    "csp",
    # Ours, in layer order (docs/dev/architecture.md), before django_tasks_db: racing's
    # `db_worker` extends the queue's own worker with the reclaim of abandoned races.
    "tracks",
    "league",
    "racing",
    "live",  # websockets and the event log of the live updates without Redis (docs/live.md)
    "web",  # pages and API
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, which parses a form POST (and spools its files) before the view.
    "web.middleware.UploadSizeLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout found during the view into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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
            ],
            "builtins": ["web.templatetags.league_format"],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# --- Database -----------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE: every transaction takes the write lock when it starts, so the
        # read-check-write of a quota is serialised and never fails half way with
        # "database is locked"; WAL lets readers go on while a worker writes.
        "transaction_mode": "IMMEDIATE",
        "timeout": env_float("SQLITE_TIMEOUT_S", 20.0),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
    # A file (not an in-memory database) so that worker subprocesses see the test data.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("TEST_DATABASE_NAME", str(BASE_DIR / "test_db.sqlite3"))
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Axes first: it refuses a locked-out client before a password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/accounts/login/"

# --- Log-in protection (django-axes, web/logins.py) ---------------------------------------
# After LOGIN_FAILURE_LIMIT failed log-ins of one account (from anywhere), or
# LOGIN_ADDRESS_FAILURE_LIMIT from one address (on any accounts: more, because a classroom
# behind one address is many racers), that account or address is locked out for
# LOGIN_COOLOFF_S; each further failure doubles the cool-off, up to LOGIN_COOLOFF_MAX_S, and
# failures are remembered for a day. Guesses during a lockout are refused unchecked and do not extend
# it. Counted in the database, so every web process sees the same counts.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20)
LOGIN_COOLOFF_S = env_float("LOGIN_COOLOFF_S", 60.0)
LOGIN_COOLOFF_MAX_S = env_float("LOGIN_COOLOFF_MAX_S", 3600.0)
AXES_COOLOFF_TIME = "web.logins.cool_off"
AXES_HANDLER = "web.logins.BackoffHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "web.clients.client_ip"
AXES_LOCKOUT_CALLABLE = "web.logins.lockout_response"
# A correct password after a few typos does not wipe the counts: an attacker could
# otherwise reset an address's count by logging in to an account of their own.
AXES_RESET_ON_SUCCESS = False
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True  # successful log-ins need no table that grows forever
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # quotas count per UTC day
USE_I18N = True
USE_TZ = True

# --- Files --------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
# Uploads above this stay on disk instead of in memory (the model size cap: RACING below).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Channels -----------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# The cache holds the rate-limit counters (sign-ups, API throttles) and the one-check-per-
# racer locks, so it must be shared by every web process: Redis with it, else a database
# table (created by web's migration 0001 and `make migrate`: `manage.py createcachetable`).
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "league_cache",
            # Past MAX_ENTRIES Django deletes a third of the keys, live counters included:
            # room for every client of a busy day, so nobody can flush the counters.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
# How live updates reach the websockets (live/events.py, docs/live.md): "channel_layer"
# (Redis carries them between processes and machines) or "database" (an event log table
# that each web process polls: workers and web processes share no memory without Redis).
LIVE_TRANSPORT = os.environ.get("LIVE_TRANSPORT") or ("channel_layer" if REDIS_URL else "database")
LIVE_POLL_INTERVAL_S = env_float("LIVE_POLL_INTERVAL_S", 0.25)

# --- Task queue ---------------------------------------------------------------------------
# Races and videos queue separately so that a race never waits behind a video render:
# `make serve` runs one worker per queue; `db_worker --queue-name '*'` serves both.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "videos"],
    }
}

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PARSER_CLASSES": [
        "web.api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # drf-spectacular's, plus the error answers every view really gives (web/api/schema.py).
    "DEFAULT_SCHEMA_CLASS": "web.api.schema.LeagueAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    # Per client (the address web/clients.py gives, or the user once logged in), counted in
    # the default cache that every web process shares (CACHES above).
    "DEFAULT_THROTTLE_RATES": {
        "login": os.environ.get("THROTTLE_LOGIN", "30/min"),
        "signup": os.environ.get("THROTTLE_SIGNUP", "30/hour"),
        "upload": os.environ.get("THROTTLE_UPLOAD", "120/hour"),
        # Creating community races, joining by invite, resetting invites.
        "races": os.environ.get("THROTTLE_RACES", "120/hour"),
    },
    "PAGE_SIZE": 50,
    # DRF's own rule for the client's address behind proxies; web/clients.py follows it.
    "NUM_PROXIES": TRUSTED_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Racing league API",
    "DESCRIPTION": (
        "Upload ONNX policies, enter them in races, follow submissions and read the "
        "leaderboards. Authenticate with `Authorization: Token <key>` (from "
        "`POST /api/auth/signup/` or `POST /api/auth/token/`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Racing -------------------------------------------------------------------------------
# Limits of the child process that checks an upload or runs a race (see racing/sandbox.py).
RACING = {
    "PYTHON": os.environ.get("RACING_PYTHON", ""),  # empty: the server's own interpreter
    # Every child that touches uploaded bytes (check, race, video) runs in a bubblewrap
    # sandbox (racing/isolation.py). "weak" runs it with resource limits only, for hosts
    # that cannot provide one: workers then log a warning on every run
    # (docs/organisers.md, "Security").
    "SANDBOX": os.environ.get("RACING_SANDBOX", "bwrap"),
    "BWRAP": os.environ.get("RACING_BWRAP", ""),  # empty: `bwrap` on the PATH
    # Processes and threads of one sandboxed child (RLIMIT_NPROC, bwrap mode only).
    "SANDBOX_PROCESSES": env_int("RACING_SANDBOX_PROCESSES", 32),
    # The one folder for the temporary files of races, checks and videos: one subfolder
    # per process, swept of what dead processes left (racing/workdirs.py).
    "WORK_ROOT": os.environ.get("RACING_WORK_ROOT", "")
    or os.path.join(os.environ.get("TMPDIR") or "/tmp", "league-work"),
    "SWEEP_INTERVAL_S": env_float("RACING_SWEEP_INTERVAL_S", 300.0),
    "SANDBOX_MEMORY_MB": env_int("RACING_SANDBOX_MEMORY_MB", 2048),
    "RACE_CPU_S": env_float("RACING_RACE_CPU_S", 300.0),
    "RACE_WALL_S": env_float("RACING_RACE_WALL_S", 600.0),
    "CHECK_CPU_S": env_float("RACING_CHECK_CPU_S", 30.0),
    "CHECK_WALL_S": env_float("RACING_CHECK_WALL_S", 60.0),
    # A running submission whose worker has not renewed its lease for this long is
    # raced again by another worker (the first one died).
    "LEASE_S": env_float("RACING_LEASE_S", 60.0),
    "RECLAIM_INTERVAL_S": env_float("RACING_RECLAIM_INTERVAL_S", 10.0),
    # Platform faults are retried this many times in all, with exponential backoff.
    "MAX_ATTEMPTS": env_int("RACING_MAX_ATTEMPTS", 3),
    "RETRY_BACKOFF_S": env_float("RACING_RETRY_BACKOFF_S", 5.0),
    "MAX_MODEL_BYTES": env_int("RACING_MAX_MODEL_BYTES", DEFAULT_MAX_MODEL_BYTES),
    "MAX_METADATA_BYTES": env_int("RACING_MAX_METADATA_BYTES", DEFAULT_MAX_METADATA_BYTES),
    # A DeepRacer console export (.tar.gz) uploaded for import (simulator/deepracer).
    "MAX_ARCHIVE_BYTES": env_int("RACING_MAX_ARCHIVE_BYTES", DEFAULT_MAX_ARCHIVE_BYTES),
    # Render the MP4 of every run when its result lands (racing/videos.py).
    "VIDEOS": env_bool("RACING_VIDEOS", True),
    # Wall-clock cap of one video render per second of race, on top of a 2-minute floor.
    "VIDEO_TIMEOUT_PER_RACE_S": env_float("RACING_VIDEO_TIMEOUT_PER_RACE_S", 2.0),
    "VIDEO_MEMORY_MB": env_int("RACING_VIDEO_MEMORY_MB", 2048),
    # CPU seconds of races per racer per UTC day, failed runs included (0: no budget):
    # a racer whose models run to the CPU cap cannot hold the workers all day.
    "DAILY_CPU_S": env_float("RACING_DAILY_CPU_S", 3600.0),
    # Upload checks running at once in one web process (each a sandboxed child of up to
    # SANDBOX_MEMORY_MB); more are told to retry, so checks never starve the pages.
    "CHECKS_AT_ONCE": env_int("RACING_CHECKS_AT_ONCE", 2),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "racing": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
        "league": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
        "live": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
        "web": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    },
}

# --- Headers ------------------------------------------------------------------------------
# Content-Security-Policy (django-csp): every script, style, font, picture and video is
# served by the league itself, so nothing else may load, no inline script or style runs, and
# no other site may frame a page. The API's Swagger UI and Redoc pages relax styles and
# workers for themselves only (web/api/urls.py).
# Media on another host (object storage, MEDIA_URL=https://...) is allowed for pictures,
# videos and the replays the pages fetch.
_media = urlsplit(MEDIA_URL)
_MEDIA_ORIGIN = [f"{_media.scheme}://{_media.netloc}"] if _media.netloc else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:", *_MEDIA_ORIGIN],
        "media-src": [SELF, "blob:", *_MEDIA_ORIGIN],
        "connect-src": [SELF, "ws:", "wss:", *_MEDIA_ORIGIN],
        "font-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}
# Behind a trusted proxy, its X-Forwarded-Proto says whether the client used HTTPS; with
# no proxy nobody may claim it.
if TRUSTED_PROXIES > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    # Cookies only over HTTPS. SECURE_COOKIES=0 for a league served over plain HTTP (a
    # closed network): the log-in then travels in clear text.
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    # HSTS: sent on HTTPS answers only (Django's SecurityMiddleware), so a browser that
    # once reached the league over HTTPS never tries plain HTTP again for this long.
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
