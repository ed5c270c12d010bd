"""Settings of the league server.

Every setting a deployment changes comes from an environment variable with an embedded
default, so a fresh clone runs as is (SQLite file, local media folder, in-memory channel
layer, workers on the same machine) and a scale-out deployment changes only its
environment (PostgreSQL, Redis, many workers).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dj_database_url
import dj_email_url
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
# Production by default: DEBUG is off unless DEBUG=1 (`make dev` sets it), so a league
# started by `make serve` never shows a debug page to its visitors.
DEBUG = env_bool("DEBUG", False)
# Files the league keeps for itself between runs (the generated secret key), never committed.
VAR_DIR = Path(os.environ.get("VAR_DIR") or BASE_DIR / "var")


def secret_key_from_file(path: Path) -> str:
    """The key kept in `path`, made on first use. Several processes start at once (web
    server and workers): the key is written to a private temporary file and linked into
    place, which fails for all but the first, so every process reads the same whole key."""
    try:
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process was first: its key is the one
        finally:
            tmp.unlink()
        return path.read_text().strip()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"Cannot keep the generated secret key in {path} ({exc.strerror}): make that "
            "folder writable, or set VAR_DIR to one that is, or set the SECRET_KEY environment "
            "variable to a random string of at least 32 characters."
        ) from None


# SECRET_KEY from the environment wins (a deployment of many machines gives them all the
# same one); otherwise one generated on first start and kept in var/ (never printed).
SECRET_KEY = os.environ.get("SECRET_KEY", "") or secret_key_from_file(VAR_DIR / "secret_key")
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured(
        "SECRET_KEY is too short: set it to a random string of at least 32 characters (for "
        "example: python -c \"import secrets; print(secrets.token_urlsafe(50))\"), or unset "
        "it to use the key generated in var/secret_key."
    )
# The names a local league answers to: the loopback ones, and the address `make serve`
# binds (HOST) when it is one address; a league on a network lists its own names.
_LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
_BIND_HOST = os.environ.get("HOST", "").strip()
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS",
    _LOOPBACK_HOSTS + ([_BIND_HOST] if _BIND_HOST and _BIND_HOST not in ("0.0.0.0", "::") else []),
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
    "ladder",  # head-to-head races: the rated ladder and the finals (between racing and live)
    "nights",  # race nights: live races, their queue and paced runs (docs/organisers.md)
    "live",  # websockets and the event log of the live updates without Redis (docs/live.md)
    "web",  # pages and API
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files answered before anything else runs (WhiteNoise; Files below).
    "web.ops.staticfiles.StaticFilesMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before CommonMiddleware's APPEND_SLASH: a POST to an API path without its slash is
    # redirected keeping its method, and unknown API paths answer JSON.
    "web.api.addresses.ApiAddressMiddleware",
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

# --- Email (password resets) --------------------------------------------------------------
# EMAIL_URL (submission://user:password@host:587 for STARTTLS, smtps://... for SSL, smtp://...,
# console://) or the EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS
# variables; with neither, mails are printed on the console (so `make serve` shows each
# password reset link).
if os.environ.get("EMAIL_URL"):
    _email = dj_email_url.parse(os.environ["EMAIL_URL"])
    if "EMAIL_BACKEND" not in _email:
        raise ImproperlyConfigured(
            f"EMAIL_URL starts with {urlsplit(os.environ['EMAIL_URL']).scheme + '://'!r}, which is not "
            "a mail server: use submission://user:password@host:587 (STARTTLS), "
            "smtps://user:password@host:465 (SSL), smtp://host:25 or console://."
        )
    globals().update(_email)
elif os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT_S", 20)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Open Racing League <league@localhost>")

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

# Static files are served by the web process itself (WhiteNoise, before every other
# middleware). In production (DEBUG off) from STATIC_ROOT as `collectstatic` (run by `make
# serve`) leaves it: compressed, a content hash in every name (ES module imports included),
# so browsers keep them for a year. With DEBUG (`make dev`) and in the tests, straight from
# the apps' folders under their plain names: an edit shows at once, and a copy collected
# earlier never stands in for the code under test (the tests' own server processes inherit
# STATIC_COLLECTED=0 from the test run).
if "pytest" in sys.modules:
    os.environ.setdefault("STATIC_COLLECTED", "0")
STATIC_COLLECTED = env_bool("STATIC_COLLECTED", not DEBUG)
WHITENOISE_USE_FINDERS = not STATIC_COLLECTED
WHITENOISE_AUTOREFRESH = DEBUG


class StorageUrlError(ImproperlyConfigured):
    pass


# STORAGE_URL=s3://BUCKET[/prefix]?endpoint_url=...&region_name=...&signed_url_s=...&addressing_style=...
_STORAGE_URL_KEYS = ("endpoint_url", "region_name", "signed_url_s", "addressing_style")


def media_storage(environ) -> tuple[dict, list[str]]:
    """Where uploads, replays and videos are kept: ({"BACKEND": ..., "OPTIONS": ...}, the
    origins pages load media from directly). STORAGE_URL, or django-storages' own AWS_*
    variables, put them in S3-compatible object storage (credentials from
    AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, read by boto3); neither: MEDIA_ROOT."""
    url = (environ.get("STORAGE_URL") or "").strip()
    if url:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise StorageUrlError(
                f"STORAGE_URL={url!r} is not an object storage URL: write "
                "s3://BUCKET[/prefix]?endpoint_url=http://HOST:PORT&region_name=REGION, or leave "
                "it empty to keep media in MEDIA_ROOT."
            )
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        unknown = sorted(set(query) - set(_STORAGE_URL_KEYS))
        if unknown:
            raise StorageUrlError(
                f"STORAGE_URL has unknown parameters {', '.join(unknown)}: the known ones are "
                f"{', '.join(_STORAGE_URL_KEYS)}."
            )
        bucket, prefix = parts.netloc, parts.path.strip("/")
    else:
        bucket = (environ.get("AWS_STORAGE_BUCKET_NAME") or "").strip()
        if not bucket:
            return {"BACKEND": "django.core.files.storage.FileSystemStorage"}, []
        prefix = (environ.get("AWS_LOCATION") or "").strip("/")
        query = {
            "endpoint_url": environ.get("AWS_S3_ENDPOINT_URL", ""),
            "region_name": environ.get("AWS_S3_REGION_NAME", ""),
            "signed_url_s": environ.get("AWS_QUERYSTRING_EXPIRE", ""),
            "addressing_style": environ.get("AWS_S3_ADDRESSING_STYLE", ""),
        }
    endpoint = query.get("endpoint_url") or None
    if endpoint and urlsplit(endpoint).scheme not in ("http", "https"):
        raise StorageUrlError(f"The storage endpoint {endpoint!r} must start with http:// or https://.")
    try:
        signed_url_s = int(query.get("signed_url_s") or 300)
        if not 1 <= signed_url_s <= 604_800:
            raise ValueError
    except ValueError:
        raise StorageUrlError(
            "signed_url_s (AWS_QUERYSTRING_EXPIRE) must be a whole number of seconds from 1 to "
            "604800 (S3's limit): how long a handed-out replay or video link works."
        ) from None
    # Path-style addressing (http://host/bucket/key) is what self-hosted stores (MinIO, moto,
    # Ceph) answer without a DNS name per bucket; AWS itself picks its own.
    style = query.get("addressing_style") or ("path" if endpoint else "auto")
    if style not in ("path", "virtual", "auto"):
        raise StorageUrlError(f"addressing_style must be path, virtual or auto, not {style!r}.")
    from botocore.config import Config  # only an object storage deployment needs botocore

    region = query.get("region_name") or None
    options = {
        "bucket_name": bucket,
        "location": prefix,
        "endpoint_url": endpoint,
        "region_name": region,
        # Private objects, handed out only as links signed for a few minutes, after the
        # league's own views have checked who may see them (web/rangeserve.py).
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": signed_url_s,
        # Never overwrite an object of the same name (as the local folder never does).
        "file_overwrite": False,
        # Bounded waits: a store that is down answers /readyz and requests in seconds.
        "client_config": Config(
            s3={"addressing_style": style},
            signature_version="s3v4",
            connect_timeout=5,
            read_timeout=60,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    }
    if endpoint:
        host = urlsplit(endpoint)
        base = f"{host.scheme}://{host.netloc}"
        origins = [base] if style == "path" else [f"{host.scheme}://{bucket}.{host.netloc}", base]
    else:
        origins = [f"https://{bucket}.s3.amazonaws.com"]
        if region:
            origins += [f"https://{bucket}.s3.{region}.amazonaws.com", f"https://s3.{region}.amazonaws.com"]
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}, origins


_MEDIA_STORAGE, STORAGE_ORIGINS = media_storage(os.environ)
STORAGES = {
    "default": _MEDIA_STORAGE,
    "staticfiles": {
        "BACKEND": "web.ops.staticfiles.HashedStaticStorage"
        if STATIC_COLLECTED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads above this stay on disk instead of in memory (the model size cap: RACING below).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Channels -----------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None}]},
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
    # Every 401 also says how to send the token (web/api/errors.py).
    "EXCEPTION_HANDLER": "web.api.errors.exception_handler",
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

# --- Head-to-head ladder (ladder/rounds.py) ------------------------------------------------
# Seconds between a head-to-head race's pairing rounds while it is open.
LADDER_ROUND_S = env_float("LADDER_ROUND_S", 60.0)

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
    # Race in forks of a warm, sandboxed race host that has already imported the
    # simulator (racing/warm.py), instead of a new interpreter per race.
    "WARM_RUNNER": env_bool("RACING_WARM_RUNNER", True),
}

# --- Logs ---------------------------------------------------------------------------------
# LOG_FORMAT=json: one JSON object per line and event (time, level, logger, message, and the
# ids the event carries: submission_id, result_id, race_id), for a log collector; else
# plain text for a person at a terminal.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}.")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
_LOG_FORMATTERS = {
    "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        "timestamp": False,
    },
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"league": _LOG_FORMATTERS[LOG_FORMAT]},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "league"}},
    # One handler, at the root: every logger's lines (ours, the queue's, Django's) come out
    # once and in the one format.
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        **{name: {"level": LOG_LEVEL} for name in ("racing", "league", "live", "web")},
        # With DEBUG off Django says nothing by default: a 500's traceback (django.request)
        # and a refused Host header ("add it to ALLOWED_HOSTS", django.security) must reach
        # the organiser's terminal; a 404 need not.
        "django": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        # JSON lines from uvicorn too (its start, stop and access lines); as text it keeps
        # its own colours.
        **(
            {name: {"level": "INFO", "handlers": [], "propagate": True}
             for name in ("uvicorn", "uvicorn.error", "uvicorn.access")}
            if LOG_FORMAT == "json"
            else {}
        ),  # fmt: skip
    },
}

# --- Operations (web/ops) -----------------------------------------------------------------
# /metrics: with METRICS_TOKEN set, only for `Authorization: Bearer <token>`; without it,
# only for clients in METRICS_ALLOWED_NETWORKS (the address web/clients.py gives).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
try:
    METRICS_ALLOWED_NETWORKS = [
        ipaddress.ip_network(net, strict=False)
        for net in env_list(
            "METRICS_ALLOWED_NETWORKS",
            ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
        )
    ]
except ValueError as exc:
    raise ImproperlyConfigured(
        f"METRICS_ALLOWED_NETWORKS: {exc}. Write networks separated by commas, like "
        "127.0.0.0/8,10.0.0.0/8."
    ) from None

# --- Headers ------------------------------------------------------------------------------
# Content-Security-Policy (django-csp): every script, style, font, picture and video is
# served by the league itself, so nothing else may load, no inline script or style runs, and
# no other site may frame a page. The API's Swagger UI and Redoc pages relax styles and
# workers for themselves only (web/api/urls.py).
# Media on another host (object storage: the signed links the league's views redirect to,
# or MEDIA_URL=https://...) is allowed for pictures, videos and the replays the pages fetch.
_media = urlsplit(MEDIA_URL)
_MEDIA_ORIGIN = [f"{_media.scheme}://{_media.netloc}"] if _media.netloc else []
_MEDIA_ORIGIN += [origin for origin in STORAGE_ORIGINS if origin not in _MEDIA_ORIGIN]
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
    # Cookies only over HTTPS, except for a league that answers on loopback names only (the
    # default `make serve` on http://127.0.0.1:8000): nothing leaves the machine there, and a
    # browser would not send a secure cookie back over plain HTTP, so nobody could log in.
    # SECURE_COOKIES=1 or 0 decides it outright; 0 for a league served over plain HTTP on a
    # closed network, where the log-in then travels in clear text.
    _LOCAL_ONLY = all(host in _LOOPBACK_HOSTS or host == "testserver" for host in ALLOWED_HOSTS)
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not _LOCAL_ONLY)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not _LOCAL_ONLY)
    # HSTS: sent on HTTPS answers only (Django's SecurityMiddleware), so a browser that
    # once reached the league over HTTPS never tries plain HTTP again for this long.
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
