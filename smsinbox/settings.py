"""Settings for smsinbox, read from the environment in this one place.

Embedded default (no variables set, ``DEBUG=1``): SQLite file in the project folder,
in-memory channel layer, local-memory cache.  Production: ``DATABASE_URL`` (PostgreSQL
through psycopg 3 with Django's connection pool), ``REDIS_URL`` (channel layer and cache),
``SECRET_KEY``, ``ALLOWED_HOSTS``, ``PUBLIC_BASE_URL`` and the Twilio credentials.
Production refuses to start without a secret key.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean variable: 1/true/yes/on are true, 0/false/no/off/empty are false."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1 or 0).")


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Read a comma-separated list, ignoring blanks."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from exc


# With nothing configured at all this is the embedded default (a laptop: `manage.py` just works,
# DEBUG on). Any production variable makes DEBUG default to off, and then a secret is required.
_PRODUCTION_MARKERS = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL", "ALLOWED_HOSTS")
DEBUG = env_bool("DEBUG", not any(os.environ.get(name, "").strip() for name in _PRODUCTION_MARKERS))

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY for production "
            '(python -c "import secrets; print(secrets.token_urlsafe(50))"), '
            "or DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-dev-only-key-never-used-when-debug-is-off"  # noqa: S105

# --- Hosts, public URL, proxies -------------------------------------------------------

PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
if PUBLIC_BASE_URL and urlsplit(PUBLIC_BASE_URL).scheme not in {"http", "https"}:
    raise ImproperlyConfigured(f"PUBLIC_BASE_URL={PUBLIC_BASE_URL!r} must start with http:// or https://.")

_default_hosts = ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
if PUBLIC_BASE_URL:
    _default_hosts.append(urlsplit(PUBLIC_BASE_URL).hostname or "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [h for h in _default_hosts if h])
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS",
    [PUBLIC_BASE_URL] if PUBLIC_BASE_URL.startswith("https://") else [],
)

# Honour X-Forwarded-Proto / X-Forwarded-Host only behind a proxy we trust.
TRUSTED_PROXY = env_bool("TRUSTED_PROXY", False)
if TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

# --- Applications ----------------------------------------------------------------------

INSTALLED_APPS = [
    "daphne",  # makes `runserver` serve the ASGI application
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files for /api/docs/, served by us (no CDN)
    "phonenumber_field",
    "django_tasks",
    "django_tasks_db",
    "axes",  # throttles repeated failed logins
    "django_otp",  # two-factor sign-in (smsinbox/two_factor.py): authenticator apps and recovery codes
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "smsinbox",
    # The layers, lowest first: core (smsinbox) ← conversations ← messaging ← the faces (smsinbox.web).
    "conversations",
    "messaging",
    "messaging.reports",  # the reports' rollups (their own migrations)
    "smsinbox.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "smsinbox.middleware.SessionLimitsMiddleware",  # idle timeout and maximum session age
    "smsinbox.middleware.TwoFactorMiddleware",  # a session is fully signed in once its code step is done
    "smsinbox.middleware.UserTimezoneMiddleware",
    "smsinbox.audit.context.AuditContextMiddleware",  # the request's address, for the audit log
    "smsinbox.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "smsinbox.web.api.keys.ApiKeyAuditMiddleware",  # the audit of writes made with organization API keys
]

ROOT_URLCONF = "smsinbox.urls"
WSGI_APPLICATION = "smsinbox.wsgi.application"
ASGI_APPLICATION = "smsinbox.asgi.application"
AUTH_USER_MODEL = "smsinbox.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------

DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
DB_POOL_MIN_SIZE = env_int("DB_POOL_MIN_SIZE", 2)
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 10)
# Twilio waits 15 s for a webhook answer; a request that cannot get a connection within this
# many seconds fails fast with a 5xx so Twilio can deliver it again (with PostgreSQL down, the
# answer comes after this wait: at most 4 s keeps it under 5 s).
DB_POOL_TIMEOUT = env_int("DB_POOL_TIMEOUT", 3)
# A statement waiting this long for a row or table lock gives up, so a webhook answers 503
# (and Twilio delivers it again) instead of hanging past Twilio's 15 s.
DB_LOCK_TIMEOUT_MS = env_int("DB_LOCK_TIMEOUT_MS", 3000)
# A webhook's database work ends this many seconds after it starts, pool waits included: a statement
# still running has its connection cut, no connection is waited for past it, and the webhook answers
# 503; a paused or partitioned server cannot hold it (smsinbox.deadline, smsinbox.postgresql).
WEBHOOK_DATABASE_DEADLINE_SECONDS = float(os.environ.get("WEBHOOK_DATABASE_DEADLINE_SECONDS", "3.5"))
if DB_POOL_TIMEOUT > 4:
    raise ImproperlyConfigured("DB_POOL_TIMEOUT must be at most 4 seconds (a webhook answers within 5 s).")

if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
    if _db["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must be a postgres:// URL (or unset for the embedded SQLite).")
    # Persistent connections leak under ASGI; the pool reuses connections instead.
    _db["CONN_MAX_AGE"] = 0
    # Django's PostgreSQL backend whose pool wait ends at a request's database deadline (smsinbox.deadline).
    _db["ENGINE"] = "smsinbox.postgresql"
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"]["pool"] = {
        "min_size": DB_POOL_MIN_SIZE,
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": DB_POOL_TIMEOUT,
    }
    # No CONN_HEALTH_CHECKS: its check at checkout can wait on a stalled server outside the webhook's
    # deadline. A connection broken by a restart fails one request (503, Twilio retries) and is discarded.
    _db["OPTIONS"].setdefault("connect_timeout", 5)
    _db["OPTIONS"]["options"] = f"-c lock_timeout={DB_LOCK_TIMEOUT_MS}"
    _db["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or None}
    # DATABASE_PGBOUNCER=1: DATABASE_URL names a PgBouncer in transaction mode. A server connection serves
    # one transaction of ours, then another client's: nothing may outlive a transaction on it. So no
    # server-side cursors (a named cursor lives past its transaction), no prepared statements (psycopg
    # prepares a query after 5 runs; PgBouncer < 1.21 cannot route them), and no ``options`` startup
    # parameter (PgBouncer refuses it): lock_timeout is then the role's or database's setting
    # (README "PgBouncer": ALTER ROLE … SET lock_timeout = '3s').
    if env_bool("DATABASE_PGBOUNCER", False):
        _db["DISABLE_SERVER_SIDE_CURSORS"] = True
        _db["OPTIONS"]["prepare_threshold"] = None
        del _db["OPTIONS"]["options"]
    DATABASES = {"default": _db}
else:
    if not DEBUG and not env_bool("ALLOW_SQLITE", False):
        raise ImproperlyConfigured(
            "DATABASE_URL is not set. Production needs PostgreSQL (DATABASE_URL=postgres://…); "
            "set ALLOW_SQLITE=1 to run without DEBUG on the embedded SQLite file anyway."
        )
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                # IMMEDIATE transactions take the write lock up front, so concurrent
                # writers wait (busy timeout) instead of failing mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 5,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels, cache, tasks ------------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL", "").strip()
# Organization ids are per database: deployments (or test runs) sharing one Redis must not hear
# each other's "org.1", so the key prefix names the database unless REDIS_PREFIX says otherwise.
_db_name = str(DATABASES["default"]["NAME"]).rsplit("/", 1)[-1]
REDIS_PREFIX = os.environ.get("REDIS_PREFIX", "").strip() or f"smsinbox:{_db_name}"
# Redis connections name their timeouts instead of taking redis-py's defaults (none before 8.x, 5 s
# since). Invariant: the channel layer's socket reads outlast its blocking reads. channels_redis
# waits for a websocket's next event with BZPOPMIN for REDIS_BLOCKING_READ_SECONDS
# (RedisChannelLayer.brpop_timeout; a test holds them equal) and loops; a read timeout equal to
# that wait fires just before Redis answers "nothing yet", and the consumer dies with
# TimeoutError, dropping a quiet websocket every 5 s. Reads stay bounded: a Redis that stops
# answering is still noticed within REDIS_SOCKET_TIMEOUT_SECONDS (TCP keepalive finds dead peers
# of idle connections). Publishing is bounded separately (smsinbox.events.PUBLISH_TIMEOUT).
REDIS_BLOCKING_READ_SECONDS = 5
REDIS_SOCKET_TIMEOUT_SECONDS = REDIS_BLOCKING_READ_SECONDS + 5
REDIS_CONNECT_TIMEOUT_SECONDS = 3
if REDIS_URL:
    from smsinbox.redis_connections import channel_layer_host

    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # Options in REDIS_URL's query string (?socket_timeout=…) override these. The
                # connections' writes stay cancellable on Python 3.11 (smsinbox.redis_connections).
                "hosts": [
                    channel_layer_host(
                        REDIS_URL,
                        socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
                        socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS,
                        socket_keepalive=True,
                        # No retry_on_error: with it, a consumer's task cancelled during a blocking
                        # read retried instead of ending (the test suite hung in teardown). A command
                        # on a connection Redis closed fails once; the consumer retries its join.
                    )
                ],
                "prefix": REDIS_PREFIX,
                "capacity": 1000,
                "expiry": 30,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
            "OPTIONS": {
                "socket_timeout": 5,  # no blocking commands here: every read answers at once
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
                "socket_keepalive": True,
            },
        }
    }
else:
    # Reaches only the process that publishes: see the README's "Embedded default".
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Fetched MMS media, on disk beside the app (bounded), shared by the processes of one machine.
CACHES["media"] = {
    "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
    "LOCATION": os.environ.get("MEDIA_CACHE_DIR", str(BASE_DIR / "media-cache")),
    "TIMEOUT": 7 * 24 * 3600,
    "OPTIONS": {"MAX_ENTRIES": env_int("MEDIA_CACHE_MAX_ENTRIES", 2000)},
}

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# --- Auth, i18n, time ------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out username + address before checking
    "django.contrib.auth.backends.ModelBackend",
]
# Failed logins: after AXES_FAILURE_LIMIT tries for one username from one address, that pair is
# locked out for AXES_COOLOFF_MINUTES (HTTP 429 with a clear page); a success resets the count.
OTP_TOTP_ISSUER = "smsinbox"  # the name authenticator apps show beside the code
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client address: only the proxy's X-Forwarded-For when we trust a proxy, else the socket's.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if TRUSTED_PROXY else ("REMOTE_ADDR",)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Email (invitations, password reset) -------------------------------------------------
# Console (printed in the server's log) unless EMAIL_HOST names an SMTP server; EMAIL_BACKEND overrides both.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "").strip()
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "").strip() or (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "smsinbox <no-reply@localhost>")
# How long an invitation's link works (days); password reset links: PASSWORD_RESET_TIMEOUT (Django's, 3 days).
INVITE_VALID_DAYS = env_int("INVITE_VALID_DAYS", 7)
# The audit log: entries of no organization (failed sign-ins with an unknown username) are kept this long;
# each organization sets its own period (Organization.audit_retention_days). prune_audit deletes older ones.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # storage; each user sees their own zone (User.time_zone)
USE_I18N = True
USE_TZ = True

PHONENUMBER_DEFAULT_REGION = os.environ.get("PHONENUMBER_DEFAULT_REGION", "US").strip().upper() or "US"
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "E164"

# --- Static files ----------------------------------------------------------------------

STATIC_URL = "static/"
ATTACHMENTS_DIR = os.environ.get("ATTACHMENTS_DIR", str(BASE_DIR / "attachments"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
    # Files attached in the composer (messaging/attachments): local files on the embedded default. In production
    # an S3-compatible bucket may stand here instead (django-storages' "storages.backends.s3.S3Storage", README
    # "Attachments"); they are served through our own routes either way, never by the storage's URL.
    "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": ATTACHMENTS_DIR, "base_url": None},
    },
}

# --- Twilio ----------------------------------------------------------------------------

TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "").strip()
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "").strip()
TWILIO_API_BASE_URL = os.environ.get("TWILIO_API_BASE_URL", "").strip().rstrip("/")
# The local Twilio emulator (`manage.py twilio_emulator`): the embedded default's Twilio.
TWILIO_EMULATOR_PORT = env_int("TWILIO_EMULATOR_PORT", 8025)
if DEBUG and not TWILIO_ACCOUNT_SID and not TWILIO_AUTH_TOKEN:
    # Embedded default: talk to the emulator with a made-up account; the token is derived from
    # SECRET_KEY so no credential is written down anywhere.
    import hashlib

    TWILIO_ACCOUNT_SID = "AC" + "e" * 32
    TWILIO_AUTH_TOKEN = hashlib.sha256(f"emulator:{SECRET_KEY}".encode()).hexdigest()[:32]
    TWILIO_API_BASE_URL = TWILIO_API_BASE_URL or f"http://127.0.0.1:{TWILIO_EMULATOR_PORT}"
# The SDK has no timeout by default; a send that hears nothing for this long is reconciled, not resent.
TWILIO_HTTP_TIMEOUT = float(os.environ.get("TWILIO_HTTP_TIMEOUT", "10"))

# --- Outbound sending ------------------------------------------------------------------

SEND_MAX_ATTEMPTS = env_int("SEND_MAX_ATTEMPTS", 6)
SEND_RETRY_BASE_SECONDS = float(os.environ.get("SEND_RETRY_BASE_SECONDS", "2"))  # 2, 4, 8, 16, 32 s …
SEND_RATE_LIMIT = env_bool("SEND_RATE_LIMIT", True)  # pace sends at each number's messages_per_second
SEND_RATE_MAX_WAIT_SECONDS = float(os.environ.get("SEND_RATE_MAX_WAIT_SECONDS", "5"))
SEND_RATE_MARGIN = float(os.environ.get("SEND_RATE_MARGIN", "0.03"))  # slots 3 % wider than 1/rate: jitter room
# Outbound messages whose status has not moved for this long are checked against Twilio.
RECONCILE_AFTER_SECONDS = env_int("RECONCILE_AFTER_SECONDS", 120)
# Run the task worker inside the server process (needed by the in-memory channel layer).
TASKS_IN_SERVER_PROCESS = env_bool("TASKS_IN_SERVER_PROCESS", not REDIS_URL)

# --- Webhook intake (messaging/intake, README "Webhook intake") ------------------------------
# "direct": a webhook stores its message or status before it answers (a post whose processing raised a
# bug is kept for replay). "store-first": it keeps the signed post in one INSERT and answers; processors
# (``manage.py process_webhooks``; a thread of the server on the embedded default) apply it moments later.
WEBHOOK_INTAKE = os.environ.get("WEBHOOK_INTAKE", "direct").strip() or "direct"
if WEBHOOK_INTAKE not in {"direct", "store-first"}:
    raise ImproperlyConfigured('WEBHOOK_INTAKE must be "direct" or "store-first".')
INTAKE_BATCH = env_int("INTAKE_BATCH", 100)  # due posts a processor reads at a time (each applied on its own)
INTAKE_MAX_ATTEMPTS = env_int("INTAKE_MAX_ATTEMPTS", 5)  # a post that raised this often waits for a replay
INTAKE_POLL_SECONDS = float(os.environ.get("INTAKE_POLL_SECONDS", "0.5"))  # between looks when not notified
INTAKE_KEEP_DAYS = env_int("INTAKE_KEEP_DAYS", 7)  # applied posts are deleted after this many days …
INTAKE_PRUNE_SECONDS = 3600.0  # … by the task workers' sweep, this often (TASK_WORKER_SWEEPS)
INTAKE_NICE = env_int("INTAKE_NICE", 10)  # process_webhooks lowers its CPU priority by this: the webhooks go first
# Processors LISTEN for new posts on a connection of their own (PostgreSQL): to the default database, or to
# INTAKE_LISTEN_URL when set. Off by default behind PgBouncer in transaction mode (which cannot carry a LISTEN)
# unless INTAKE_LISTEN_URL names PostgreSQL directly; off, they poll every INTAKE_POLL_SECONDS.
INTAKE_LISTEN_URL = os.environ.get("INTAKE_LISTEN_URL", "").strip()
INTAKE_LISTEN = env_bool("INTAKE_LISTEN", bool(INTAKE_LISTEN_URL) or not env_bool("DATABASE_PGBOUNCER", False))

# --- Operations: health, metrics, logs, task leases (smsinbox/ops, README "Operations") ---------

# /readyz: each check's database work ends after this many seconds; not ready above this many due tasks.
READY_CHECK_SECONDS = float(os.environ.get("READY_CHECK_SECONDS", "2"))
READY_MAX_TASK_BACKLOG = env_int("READY_MAX_TASK_BACKLOG", 5000)
READY_MAX_INTAKE_BACKLOG = env_int("READY_MAX_INTAKE_BACKLOG", 20000)  # unapplied webhook posts
# /metrics answers a request bearing this token (Authorization: Bearer …) or from one of these addresses
# or networks (CIDR); with neither set it answers 404. Multi-process: PROMETHEUS_MULTIPROC_DIR (smsinbox.ops.metrics).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "").strip()
METRICS_ALLOWED_ADDRESSES = env_list("METRICS_ALLOWED_ADDRESSES")
# A task RUNNING this long after its claim belongs to a dead worker; workers look every interval.
TASK_LEASE_SECONDS = env_int("TASK_LEASE_SECONDS", 600)
TASK_REAP_INTERVAL_SECONDS = env_int("TASK_REAP_INTERVAL_SECONDS", 60)
# Scheduled messages (messaging/services/schedule.py): every task worker sweeps for due ones this often, so a
# message goes at most about this late (plus the send pipeline's pace).
SCHEDULE_SWEEP_SECONDS = float(os.environ.get("SCHEDULE_SWEEP_SECONDS", "2"))
# Periodic work every task worker does between tasks (smsinbox.workers): dotted path of a function taking no
# arguments -> the name of the setting holding its interval in seconds. Wiring, so core need not import messaging.
# Attachments (messaging/attachments): unsent uploads older than this many hours are deleted, by a sweep this often.
ATTACHMENTS_UNSENT_HOURS = env_int("ATTACHMENTS_UNSENT_HOURS", 24)
ATTACHMENTS_CLEANUP_SECONDS = float(os.environ.get("ATTACHMENTS_CLEANUP_SECONDS", "600"))
# Broadcasts (messaging.broadcasts.sending): the kick sweep's interval; a live broadcast whose worker made no
# progress for BROADCAST_STALE_SECONDS is restarted; a run keeps BROADCAST_LEAD_SECONDS of sends ahead of the
# number's pace and works BROADCAST_RUN_SECONDS before handing over to its continuation; a broadcast starts
# BROADCAST_PARALLEL_RUNS runs, which share its recipients (each locks its own batch).
BROADCAST_KICK_SECONDS = float(os.environ.get("BROADCAST_KICK_SECONDS", "5"))
BROADCAST_STALE_SECONDS = float(os.environ.get("BROADCAST_STALE_SECONDS", "30"))
BROADCAST_LEAD_SECONDS = float(os.environ.get("BROADCAST_LEAD_SECONDS", "2"))
BROADCAST_RUN_SECONDS = float(os.environ.get("BROADCAST_RUN_SECONDS", "20"))
BROADCAST_PARALLEL_RUNS = env_int("BROADCAST_PARALLEL_RUNS", 2)

TASK_WORKER_SWEEPS = {
    "messaging.services.schedule.messages_send_due": "SCHEDULE_SWEEP_SECONDS",
    "messaging.attachments.services.attachments_cleanup": "ATTACHMENTS_CLEANUP_SECONDS",
    "messaging.broadcasts.sending.broadcasts_kick": "BROADCAST_KICK_SECONDS",
    "messaging.intake.services.webhook_posts_prune": "INTAKE_PRUNE_SECONDS",
}

# --- Notifications: Web Push (smsinbox/notifications/push.py) -----------------------------

# The VAPID private key (PEM; "\n" may stand for line breaks). Without it, the PEM file below is used,
# which `manage.py vapid_keys` writes when missing (the embedded default, `make run`). Neither: no Web Push.
WEB_PUSH_VAPID_PRIVATE_KEY = os.environ.get("WEB_PUSH_VAPID_PRIVATE_KEY", "")
WEB_PUSH_VAPID_KEY_FILE = os.environ.get("WEB_PUSH_VAPID_KEY_FILE", str(BASE_DIR / "vapid-private.pem"))
# Who push services may contact about this sender (the VAPID "sub" claim): a mailto: or https: URL.
WEB_PUSH_CONTACT = os.environ.get("WEB_PUSH_CONTACT", "mailto:admin@localhost")
# Subscriptions must name an https push service; tests point them at a local http one.
WEB_PUSH_ALLOW_HTTP_ENDPOINTS = env_bool("WEB_PUSH_ALLOW_HTTP_ENDPOINTS", False)

# Outgoing webhooks (smsinbox.integrations): at most this many deliveries in flight per endpoint; each
# attempt's connect and reads time out after WEBHOOK_TIMEOUT_SECONDS; retries back off from
# WEBHOOK_RETRY_BASE_SECONDS (doubling, capped at an hour) for WEBHOOK_RETRY_FOR_SECONDS; an endpoint failing
# that long is paused. WEBHOOK_ALLOW_PRIVATE_ADDRESSES lets endpoints on loopback/private networks
# (on-premises receivers) past the SSRF guard.
WEBHOOK_CONCURRENCY = env_int("WEBHOOK_CONCURRENCY", 4)
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "30"))
WEBHOOK_RETRY_FOR_SECONDS = env_int("WEBHOOK_RETRY_FOR_SECONDS", 86_400)
WEBHOOK_PAUSE_AFTER_SECONDS = env_int("WEBHOOK_PAUSE_AFTER_SECONDS", 86_400)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)

# --- REST framework --------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",  # first: anonymous calls get 401
        "rest_framework.authentication.SessionAuthentication",  # the inbox's own calls (CSRF enforced)
        "smsinbox.web.api.keys.ApiKeyAuthentication",  # organization API keys (Authorization: Bearer smsk_…)
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "smsinbox.web.api.keys.ApiKeyScopes",  # a key needs its operation's scope
    ],
    "DEFAULT_RENDERER_CLASSES": ["smsinbox.web.api.casing.CamelCaseJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["smsinbox.web.api.casing.CamelCaseJSONParser"],
    "EXCEPTION_HANDLER": "smsinbox.web.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # drf-spectacular, naming nested serializers by API class
    "DEFAULT_SCHEMA_CLASS": "smsinbox.web.api.schema.ApiSchema",
}

# --- Security (production) -------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the inbox's scripts read it for API calls
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Probes and scrapers reach the processes directly, over plain HTTP: no redirect to https for them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# --- Logging ---------------------------------------------------------------------------

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
# LOG_FORMAT=json: one JSON object per line (smsinbox.ops.logs.JsonFormatter), for log shippers.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} must be plain or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "smsinbox.ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "smsinbox": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "conversations": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "messaging": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # The SDK logs every request's headers at INFO: keep it quiet.
        "twilio": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# --- OpenAPI schema (drf-spectacular): /api/schema/ and /api/docs/ ---------------------------

SPECTACULAR_SETTINGS = {
    "TITLE": "smsinbox API",
    "DESCRIPTION": (
        "Contacts, conversations and messages of your organization's shared SMS inbox.\n\n"
        "Authenticate with `Authorization: Token <key>` (`python manage.py drf_create_token <username>`), "
        "or with an organization API key, `Authorization: Bearer smsk_…` (Integrations page; each operation "
        "names the scope it needs); "
        "the inbox's own pages use their session and CSRF token. JSON keys are camelCase. Errors are "
        '`{"error": "…"}`, with `fields` for validation errors. Lists are cursor-paginated: pass a '
        "page's `nextCursor` as `cursor`. Every route answers only for your organizations: an id of "
        "another organization is a 404. Members of several organizations name one with `organizationId` "
        "or the `X-Organization` header on lists and creations.\n\n"
        "Twilio's webhooks (`POST /api/twilio/sms-incoming`, `POST /api/twilio/sms-status`) are signed "
        "form posts from Twilio, not part of this API, and are not described here."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
    "PREPROCESSING_HOOKS": ["smsinbox.web.api.routing.expand_method_routes"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "smsinbox.web.api.schema.camelize_schema",
        "smsinbox.web.api.keys.document_scopes",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ConversationStatusEnum": "conversations.models.Conversation.Status",
        "MessageStatusEnum": "messaging.statuses.MessageStatus",
        "DirectionEnum": "messaging.models.Direction",
        "EncodingEnum": "messaging.models.Encoding",
        "OptOutMethodEnum": "conversations.models.Contact.OptOutMethod",
        "MessageEventTypeEnum": "messaging.models.MessageEvent.Type",
    },
}
