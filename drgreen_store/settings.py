"""Settings for drgreen-store, read only from the environment (django-environ).

Every variable has an embedded default that works on a fresh laptop: SQLite and a
filesystem Celery broker under ``var/``, and the local Dr Green sandbox as the API.
``.env.example`` documents each variable; a ``.env`` file beside ``manage.py`` is read
when present (real environment variables win).
"""

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
# An empty value means "use the embedded default", which is how .env.example lists most
# variables: a copied `KEY=` must not become int(""), Path("") or an empty URL. (Compose
# passes every .env line to the containers, so this matters in production too.)
for _key in [k for k, v in os.environ.items() if v == "" and k.isupper()]:
    del os.environ[_key]

VAR_DIR = Path(env.str("DRGREEN_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- Django core -----------------------------------------------------------------------

# Off unless asked for: the dev runner (`dev.py up`) and the test suite turn it on.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The default key is only for local development; with DEBUG off every command (and gunicorn,
# Celery) refuses to start on it (drgreen.E101, integration.checks).
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-insecure-drgreen-store-change-me-" + "x" * 24)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django.contrib.admin with the store's console as the default site (dashboard, attention panel).
    "integration.admin_site.StoreAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "integration",
]

MIDDLEWARE = [
    # Probes answer before host validation and the SSL redirect (see integration.observability.health).
    "integration.observability.health.HealthCheckMiddleware",
    # First, so every later log line and Dr Green call carries the request's correlation id.
    "integration.observability.middleware.CorrelationIdMiddleware",
    # Oversized bodies, NUL and lone surrogates are a 4xx before anything reads them.
    "integration.api.input_guards.InputGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves collected static files (admin, demo) from gunicorn; no separate web server needed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "drgreen_store.urls"
WSGI_APPLICATION = "drgreen_store.wsgi.application"

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

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web process, the worker and beat share one SQLite file;
    # IMMEDIATE transactions take the write lock up front, so two writers queue on the busy
    # timeout instead of failing with "database is locked" when a read turns into a write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
# Persistent connections for both engines: opening one (and, for SQLite, running the PRAGMAs
# above) costs more than a whole mirror read, so a new connection per request would halve
# the web tier's throughput. No CONN_HEALTH_CHECKS: on PostgreSQL it costs a round trip per
# request; a broken connection is dropped at the end of the request that hit it instead.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
# PostgreSQL, opt-in: server-side parameter binding, and a statement run this many times on a
# connection becomes a prepared statement (psycopg's prepare_threshold): less parsing for the
# per-request reads. Off by default: PgBouncer in transaction mode (before 1.21's
# max_prepared_statements) hands a connection's prepared statements to other clients.
_PREPARE_THRESHOLD = env.int("DATABASE_PREPARE_THRESHOLD", default=0)
if _PREPARE_THRESHOLD > 0 and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": _PREPARE_THRESHOLD}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static"))
try:  # WhiteNoise warns about a missing STATIC_ROOT; the image has it, a fresh checkout may not.
    Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
except OSError:
    pass

# --- Security (production) -------------------------------------------------------------
# Every default follows DEBUG: secure when DEBUG is off, so `manage.py check --deploy` is
# clean with nothing but DJANGO_DEBUG=false, a real DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS.
# TLS ends at a proxy (load balancer, ingress) that sets X-Forwarded-Proto; only trust that
# header when such a proxy is really in front (otherwise a client could claim https).
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Probes and the scraper talk plain HTTP inside the network; never redirect them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Email (customer notifications) ----------------------------------------------------

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="orders@drgreen-store.invalid")

# --- Cache -----------------------------------------------------------------------------

# Throttle counters and the background-refresh de-duplication live in the cache. The
# default (per process) is right for one process; with several gunicorn processes or web
# containers they must share one, or each process allows the full rate on its own.
CACHES = {"default": environ.Env.cache_url_config(env.str("CACHE_URL", default="") or "locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # The same backend, reusing its Redis client instead of building one per call.
    CACHES["default"]["BACKEND"] = "drgreen_store.cache.RedisCache"

# --- Celery ----------------------------------------------------------------------------

# The default broker needs no server: kombu's filesystem transport under var/broker.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Without control_folder kombu writes its exchange tables into the current directory.
        "control_folder": str(_broker_dir / "control"),
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=14 * 60)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The one beat schedule lives in code; run exactly one beat process.
from integration.schedule import BEAT_SCHEDULE as CELERY_BEAT_SCHEDULE  # noqa: E402, F401

# --- Dr Green --------------------------------------------------------------------------

# Read through integration.conf.drgreen_settings.client at call time, never at import time.
DRGREEN = {
    "API_URL": env.str("DRGREEN_API_URL", default="http://127.0.0.1:8001/api/v1"),
    "API_KEY": env.str("DRGREEN_API_KEY", default=""),
    "SECRET_KEY": env.str("DRGREEN_SECRET_KEY", default=""),
    "CONNECT_TIMEOUT": env.float("DRGREEN_CONNECT_TIMEOUT", default=5.0),
    "READ_TIMEOUT": env.float("DRGREEN_READ_TIMEOUT", default=30.0),
    "GET_RETRIES": env.int("DRGREEN_GET_RETRIES", default=3),
    # "cart": fill the Dr Green cart then POST {clientId} (the backend's behaviour);
    # "docs": POST the docs' body with orderLines (a deployment that honours it).
    "ORDER_BODY_MODE": env.str("DRGREEN_ORDER_BODY_MODE", default="cart"),
    "CONSOLE_URL": env.str("DRGREEN_CONSOLE_URL", default="https://dapp.drgreennft.com"),
}

# --- Privacy (integration.services.privacy) ----------------------------------------------

# Fernet keys, comma-separated, newest first: the newest encrypts held registration payloads,
# all decrypt. Empty: a key derived from SECRET_KEY (development only; check --deploy refuses
# it). Rotate: put a new key first, run `manage.py drgreen_rotate_data_keys`, drop the old one.
DRGREEN_DATA_KEYS = env.str("DRGREEN_DATA_KEYS", default="")
DRGREEN_PRIVACY = {
    # A registration never sent to Dr Green is purged after this many days.
    "REGISTRATION_RETENTION_DAYS": env.int("DRGREEN_REGISTRATION_RETENTION_DAYS", default=30),
    # Staff access log rows are deleted after this many days.
    "ACCESS_LOG_RETENTION_DAYS": env.int("DRGREEN_ACCESS_LOG_RETENTION_DAYS", default=365),
}

# --- Operations: metrics, demo ---------------------------------------------------------

# /metrics (Prometheus) answers a staff API token or session, this bearer token, or a
# client address in the allowlist (REMOTE_ADDR only: X-Forwarded-For is client-controlled;
# and only with no proxy configured, see FORWARDED_ALLOW_IPS below).
DRGREEN_METRICS_TOKEN = env.str("DRGREEN_METRICS_TOKEN", default="")
DRGREEN_METRICS_ALLOWED_IPS = env.list("DRGREEN_METRICS_ALLOWED_IPS", default=["127.0.0.1/32", "::1/128"])
# The proxies gunicorn trusts (gunicorn_conf reads it too; unset, gunicorn trusts 127.0.0.1
# for the scheme header only). Set, or with DRGREEN_API_NUM_PROXIES > 0, a proxy is in front:
# the metrics allowlist no longer applies (the proxy's address proves nothing), a token does.
FORWARDED_ALLOW_IPS = env.str("FORWARDED_ALLOW_IPS", default="")
# Window of the windowed metrics (Dr Green calls by route and status, failed sync runs).
DRGREEN_METRICS_WINDOW_S = env.int("DRGREEN_METRICS_WINDOW_S", default=3600)
# Demo storefront + "play Dr Green" control page (proxies the sandbox control plane).
# Never in production: the pages embed a storefront token.
DRGREEN_DEMO = env.bool("DRGREEN_DEMO", default=False)
SANDBOX_URL = env.str("SANDBOX_URL", default="http://127.0.0.1:8001")
SANDBOX_CONTROL_TOKEN = env.str("SANDBOX_CONTROL_TOKEN", default="sandbox-dev-token")

# --- Outbound webhooks (integration.services.webhooks) ---------------------------------

# Seconds before each retry of a failed delivery (jittered ±20%); then the event is "failed".
DRGREEN_WEBHOOK_RETRY_SCHEDULE = env.str(
    "DRGREEN_WEBHOOK_RETRY_SCHEDULE", default="5,300,1800,7200,18000,36000,36000"
)
# Development and tests only: allow http:// and loopback/private receiver addresses.
DRGREEN_WEBHOOKS_ALLOW_PRIVATE = env.bool("DRGREEN_WEBHOOKS_ALLOW_PRIVATE", default=False)
DRGREEN_WEBHOOK_TIMEOUT_S = env.float("DRGREEN_WEBHOOK_TIMEOUT_S", default=10.0)

# --- Logging ---------------------------------------------------------------------------

# One JSON object per line (LOG_FORMAT=json) or readable text (LOG_FORMAT=text); both carry
# the correlation id and pass through the redaction filter (integration.logging).
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "correlation": {"()": "integration.logging.CorrelationIdFilter"},
        "redact": {"()": "integration.logging.RedactingFilter"},
    },
    "formatters": {
        "json": {"()": "integration.logging.JsonFormatter"},
        "text": {"()": "integration.logging.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "text" if LOG_FORMAT == "text" else "json",
            "filters": ["correlation", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Storefront REST API (DRF, OpenAPI, CORS) --------------------------------------------
# Owned by integration/api/. Throttle rates are read at request time (integration.api.
# throttling), so tests and the benchmark can override them; "0" or "none" turns a scope off.

INSTALLED_APPS += ["drf_spectacular_sidecar"]  # Swagger UI assets served locally, no CDN

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "integration.api.authentication.ApiTokenAuthentication",
        "integration.api.authentication.CustomerSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["integration.api.permissions.IsCustomer"],
    "DEFAULT_THROTTLE_CLASSES": ["integration.api.throttling.PrincipalScopedThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "catalogue": env.str("DRGREEN_API_THROTTLE_CATALOGUE", default="600/min"),
        "orders": env.str("DRGREEN_API_THROTTLE_ORDERS", default="600/min"),
        "refresh": env.str("DRGREEN_API_THROTTLE_REFRESH", default="6/min"),
        "checkout": env.str("DRGREEN_API_THROTTLE_CHECKOUT", default="10/min"),
        "registration": env.str("DRGREEN_API_THROTTLE_REGISTRATION", default="5/min"),
        # Guesses at an emailed link code (each code also allows only 5).
        "registration_confirm": env.str("DRGREEN_API_THROTTLE_REGISTRATION_CONFIRM", default="10/hour"),
        "profile": env.str("DRGREEN_API_THROTTLE_PROFILE", default="120/min"),
        "staff": env.str("DRGREEN_API_THROTTLE_STAFF", default="300/min"),
        "export": env.str("DRGREEN_API_THROTTLE_EXPORT", default="6/hour"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON with the input guards' rules: depth, NUL and lone surrogates, body size.
    "DEFAULT_PARSER_CLASSES": ["integration.api.input_guards.StrictJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "integration.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "integration.api.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Proxies in front of gunicorn: how many X-Forwarded-For hops to trust for throttle keys.
    "NUM_PROXIES": env.int("DRGREEN_API_NUM_PROXIES", default=0),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "drgreen-store storefront API",
    "DESCRIPTION": (
        "Reads come from the local mirror of Dr Green (never a Dr Green call in the request); "
        "checkout is idempotent per `Idempotency-Key`. Errors always have the shape "
        '`{"error": {"code", "message", "details", "retryable"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PlacementStateEnum": "integration.models.placements.PlacementState.choices",
        "RegistrationStateEnum": "integration.models.onboarding.RegistrationState.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "integration.api.schema.describe_errors",
    ],
}

# Browsers may call the API only from the configured storefront origins; the server-to-
# server storefront (token + X-Customer-Id) does not need CORS at all.
CORS_ALLOWED_ORIGINS = env.list("DRGREEN_STOREFRONT_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/v1/.*$"
CORS_ALLOW_CREDENTIALS = env.bool("DRGREEN_STOREFRONT_CORS_CREDENTIALS", default=False)
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "x-customer-id",
    "x-csrftoken",
]
CORS_EXPOSE_HEADERS = ["retry-after"]

# Freshness TTLs and refresh dedupe of read orders (integration.services.storefront), page
# size and checkout execution of the API.
DRGREEN_API = {
    "ACTIVE_TTL_S": env.float("DRGREEN_API_ACTIVE_TTL_S", default=30.0),
    "TERMINAL_TTL_S": env.float("DRGREEN_API_TERMINAL_TTL_S", default=300.0),
    "REFRESH_DEDUPE_S": env.float("DRGREEN_API_REFRESH_DEDUPE_S", default=15.0),
    "PAGE_SIZE": env.int("DRGREEN_API_PAGE_SIZE", default=20),
    # "task": a worker places the order (the answer is the committed placement, poll it);
    # "inline": the checkout request places it itself, with no transaction open.
    "CHECKOUT_EXECUTE": env.str("DRGREEN_API_CHECKOUT_EXECUTE", default="task"),
    # "inline": the registration request sends it to Dr Green (the customer learns at once);
    # "task": a worker does. Either way it is kept first and retried if Dr Green cannot take it.
    "REGISTRATION_SUBMIT": env.str("DRGREEN_API_REGISTRATION_SUBMIT", default="inline"),
}
