"""Settings for Manyi, read from environment variables (django-environ).

The defaults are the embedded laptop setup of `make run`: SQLite, an
in-process cache and local media. Production sets DATABASE_URL (PostgreSQL),
CACHE_URL or REDIS_URL (Redis), SECRET_KEY, HOUSEHOLD_CODE_KEY, ALLOWED_HOSTS
and SITE_URL; see docs/deploy.md.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from config.caching import redis_cache
from config.logs import logging_config
from config.media_storage import media_storages, public_media_origins

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env_file = BASE_DIR / ".env"
# MANYI_NO_DOTENV: ignore the checkout's .env (the tests of start-up checks use it).
if env_file.exists() and not environ.Env.bool(env, "MANYI_NO_DOTENV", default=False):
    environ.Env.read_env(env_file)

DEBUG = env.bool("DEBUG", default=False)

# Set on production servers: turns on the strict start-up checks and HTTPS settings
# below. The laptop (`make run`) and the test suite run without it.
PRODUCTION = env.bool("MANYI_PRODUCTION", default=False)

# Only the laptop default: `check --deploy` flags it (see communities/checks.py).
INSECURE_DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", default=INSECURE_DEV_SECRET_KEY)

# Household codes are stored as HMAC-SHA256 digests under this key, so a copy of
# the database alone does not reveal them. Changing it invalidates every code
# already printed: set it once per deployment and keep it with the backups' keys.
HOUSEHOLD_CODE_KEY = env("HOUSEHOLD_CODE_KEY", default="household-code:" + SECRET_KEY)

if PRODUCTION:
    from django.core.exceptions import ImproperlyConfigured

    _household_key = env("HOUSEHOLD_CODE_KEY", default="")
    for _name, _value in [("SECRET_KEY", SECRET_KEY), ("HOUSEHOLD_CODE_KEY", _household_key)]:
        if _value in ("", INSECURE_DEV_SECRET_KEY) or len(_value) < 50 or len(set(_value)) < 10:
            raise ImproperlyConfigured(
                f"{_name} is missing or weak: set it in the environment to 50 or more random "
                "characters (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
            )
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when MANYI_PRODUCTION is set.")
    # Rate limits, the wrong-code counters and the page cache must be shared by every
    # app server: a per-process cache would give each worker its own limits (issue 11).
    if not env.str("REDIS_URL", default="") and not env.str("CACHE_URL", default="").startswith(
        ("redis://", "rediss://", "memcache://", "pymemcache://")
    ):
        raise ImproperlyConfigured(
            "REDIS_URL is missing: production needs a cache shared by every app server "
            "(limits and counters would otherwise be per worker). Set REDIS_URL."
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The public address printed in the QR codes of household notices.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Who issues the site (issue 14): shown in every footer and on the printed notices, so
# that a resident can tell the bureau's service from an imitation. Empty values are
# simply not shown; `make run` sets Wuhan's, marked as a demo (SITE_DEMO).
SITE_ISSUER = env.str("SITE_ISSUER", default="")  # e.g. 武汉市住房保障和房屋管理局
SITE_ISSUER_EN = env.str("SITE_ISSUER_EN", default="")
SITE_CITY = env.str("SITE_CITY", default="")  # e.g. 武汉市
SITE_CITY_EN = env.str("SITE_CITY_EN", default="")
SITE_HOTLINE = env.str("SITE_HOTLINE", default="12345")  # the citizens' service hotline
SITE_ICP = env.str("SITE_ICP", default="")  # ICP filing number (ICP备案号)
SITE_PSB = env.str("SITE_PSB", default="")  # public-security filing (公安联网备案号)
SITE_PSB_CODE = env.str("SITE_PSB_CODE", default="")  # its digits, for the record's link
# The issuer's seal or logo: a path under static/ (PNG, for the printed notice too).
SITE_SEAL = env.str("SITE_SEAL", default="img/logo.png")
SITE_DEMO = env.bool("SITE_DEMO", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Bottom to top (docs/architecture.md): places, the core, the domain apps above it,
    # then the interfaces.
    "communities",
    "evaluations",
    "reviews",
    "showcases",
    "monitoring",
    "notices",
    "portal",
    "console",
    # Staff accounts come after every app whose permissions the roles take
    # (accounts.roles.ensure_groups runs on its post_migrate).
    "accounts",
    "demo",
]

MIDDLEWARE = [
    # First: every log line of the request carries its id (config/log_filters.py).
    "config.middleware.RequestIdMiddleware",
    "config.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # A NUL in the address or query string: a 400 page, never a database error.
    "config.middleware.RejectNulBytesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff sessions end after STAFF_IDLE_TIMEOUT_MINUTES without a request, and after
    # STAFF_SESSION_MAX_HOURS in any case; then the second factor, where enrolled.
    "accounts.staff_security.StaffSessionTimeoutMiddleware",
    "accounts.staff_security.SecondFactorMiddleware",
    # The public pages, whole, in the shared cache (portal/pagecache.py): after the
    # language, the session, the user and the messages are known, which it checks.
    "portal.pagecache.PublicPageCacheMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Console and admin pages: Cache-Control: no-store.
    "config.middleware.NoStoreForStaffMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Before the password is checked: an account locked across addresses.
    "accounts.staff_security.AccountLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.display.display",
                "config.display.site_identity",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Persistent connections in production (one per worker thread), none on the laptop.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the writer lock when a transaction starts and wait for it, instead of
    # failing with "database is locked" when two requests write at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if env.str("REDIS_URL", default=""):
    # Degrades instead of failing (config/caching.py): time-outs of tens of
    # milliseconds, errors swallowed, counted and logged, Redis left alone a few seconds
    # after a failure. Without it residents still rate and staff still work.
    CACHES = {
        "default": redis_cache(
            env.str("REDIS_URL"),
            socket_timeout=env.float("REDIS_SOCKET_TIMEOUT", default=0.05),
            retry_seconds=env.float("REDIS_RETRY_SECONDS", default=5.0),
        )
    }
    # Sessions (staff logins; residents rate without one) in Redis, written through to
    # the database: every app server finds them (nothing is kept in one process), reads
    # come from Redis, and a Redis restart or flush logs nobody out. Lockouts of staff
    # logins (django-axes) are in the database already, shared by every server too.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://manyi")}
    # The laptop default: sessions in the database (Django's default engine).

# The background queue (config/celery.py). With a broker (CELERY_BROKER_URL, or REDIS_URL
# when that is set) tasks go to the workers; without one — `make run`, the tests — they
# run eagerly in the process that enqueued them, so the laptop needs no extra service.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=env.str("REDIS_URL", default=""))
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
CELERY_TASK_IGNORE_RESULT = True  # a job's state is a Job row (notices.models.NoticeJob)
# A task is acknowledged once it has run, not when a worker takes it: a worker killed
# halfway through a district's notices leaves the task queued for another worker, which
# resumes the job where it stopped (evaluations/jobs.py).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = env("TIME_ZONE", default="Asia/Shanghai")
CELERY_BEAT_SCHEDULE = {
    # Opening and closing follow the campaigns' dates.
    "campaigns-follow-schedule": {
        "task": "evaluations.tasks.campaigns_follow_schedule",
        "schedule": 60.0,
    },
    # The daily maintenance deploy.md once asked cron for.
    "prune-failed-codes": {"task": "evaluations.tasks.prune_failed_codes", "schedule": 86400.0},
    "forget-rating-addresses": {
        "task": "evaluations.tasks.forget_rating_addresses",
        "schedule": 86400.0,
    },
    "delete-expired-notice-files": {
        "task": "notices.tasks.delete_expired_notice_files",
        "schedule": 3600.0,
    },
}
# Generated notices hold the only copies of plain codes: deleted after this many days.
NOTICE_FILES_RETENTION_DAYS = env.int("NOTICE_FILES_RETENTION_DAYS", default=14)

# Staff passwords as OWASP ASVS 4.0 level 2 (V2.1) asks: at least 12 characters,
# up to 128 (so 64-character passphrases are fine), any characters (Chinese, spaces,
# emoji), not one of the 20,000 most common passwords, not close to the user name or
# e-mail address, not a mere run like 123456789012 (NIST SP 800-63B) — and no
# composition rules (no "one digit, one capital letter").
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "accounts.staff_security.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {
        "NAME": "accounts.staff_security.MaximumLengthValidator",
        "OPTIONS": {"max_length": 128},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.staff_security.SequencePasswordValidator"},
]

# Staff sessions (ASVS V3.3): logged out after this many minutes without a request,
# and after this many hours whatever the activity. Residents have no session.
STAFF_IDLE_TIMEOUT_MINUTES = env.int("STAFF_IDLE_TIMEOUT_MINUTES", default=30)
STAFF_SESSION_MAX_HOURS = env.int("STAFF_SESSION_MAX_HOURS", default=12)
SESSION_COOKIE_AGE = STAFF_SESSION_MAX_HOURS * 3600

# A second factor (TOTP, django-otp): any staff member may enrol in the console
# (/console/account/second-factor/); with STAFF_OTP_REQUIRED_FOR_CITY the city
# bureau's accounts (and superusers) must enrol before using the console or admin.
STAFF_OTP_REQUIRED_FOR_CITY = env.bool("STAFF_OTP_REQUIRED_FOR_CITY", default=False)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Manyi")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", _("Simplified Chinese")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
# Uploads: public media (showcase photos) in "default", staff-only evidence photos
# (review checks, objections) in "private"; on the file system (MEDIA_STORAGE=local)
# or in an S3-compatible bucket (MEDIA_STORAGE=s3). See config/media_storage.py.
STORAGES = {
    **media_storages(environ.Env.ENVIRON),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files are served by WhiteNoise everywhere, so that `make run` can serve the
# demo with DEBUG off (the product's own 404 page, not Django's debug page).
MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
if PRODUCTION:
    # Hashed, compressed static files (collectstatic at deploy).
    STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
else:
    # The laptop: straight from the apps' static folders, no collectstatic needed.
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True
# Public media (showcase photos) served by Django itself: only for `make run`'s demo on a
# laptop (local storage, no web server in front); never on a production server.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=False) and not PRODUCTION
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
# Evidence photos on the file system: outside MEDIA_ROOT, never served by nginx;
# only the console's view reads them, for staff in scope.
PRIVATE_MEDIA_ROOT = env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private-media"))

LOGIN_URL = "accounts:login"

# Staff login lockout (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one
# user name from one address (IPv6: one /64), that pair is refused until the cool-off
# has passed. Across addresses, STAFF_ACCOUNT_FAILURE_LIMIT wrong passwords within the
# cool-off lock the account itself (accounts.staff_security): 40 wrong passwords from
# 10 addresses no longer leave the right one open.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
STAFF_ACCOUNT_FAILURE_LIMIT = env.int("STAFF_ACCOUNT_FAILURE_LIMIT", default=20)
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
LOGIN_REDIRECT_URL = "console:dashboard"

# Wrong household codes: the client address is what the rate limits key on.
# Behind a trusted reverse proxy set RATELIMIT_IP_META_KEY (e.g. HTTP_X_REAL_IP).
RATELIMIT_IP_META_KEY = env("RATELIMIT_IP_META_KEY", default=None)
# The staff login lockout keys on the same client address (config/client_ip.py).
AXES_CLIENT_IP_CALLABLE = "accounts.staff_security.lockout_address"
# Limits for wrong household codes, per client address: past either, a wrong code is
# answered "too many wrong codes from this network" (a valid code always opens its
# page: evaluations.throttle). City-wide, more wrong codes than CODE_FAILURES_CITY_ALERT
# in a clock hour raise a flag on the monitoring page (docs/security.md has the sums).
CODE_FAILURES_SLOWDOWN = env("CODE_FAILURES_SLOWDOWN", default="5/m")
CODE_FAILURES_LOCKOUT = env("CODE_FAILURES_LOCKOUT", default="20/h")
CODE_FAILURES_CITY_ALERT = env.int("CODE_FAILURES_CITY_ALERT", default=2000)
# Each wrong code is also written down (time, address, browser, what was typed) for the
# anti-fraud monitoring; `manage.py prune_failed_codes` deletes rows older than this.
FAILED_CODE_RETENTION_DAYS = env.int("FAILED_CODE_RETENTION_DAYS", default=30)
# Photos (showcases): decoded by Pillow, bounded, re-encoded without metadata.
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=8 * 1024 * 1024)
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=24_000_000)
# Photos decoded at once per process, and how long an upload waits for its turn
# before "busy, try again" (uploads.photos.decode_slot).
PHOTO_CONCURRENT_DECODES = env.int("PHOTO_CONCURRENT_DECODES", default=2)
PHOTO_DECODE_WAIT_SECONDS = env.float("PHOTO_DECODE_WAIT_SECONDS", default=10.0)
PHOTO_UPLOADS_RATE = env("PHOTO_UPLOADS_RATE", default="60/h")
# Receipt checks (/receipts/check/), per client address.
RECEIPT_CHECKS_RATE = env("RECEIPT_CHECKS_RATE", default="30/m")
# Objections to a preliminary list, per client address.
OBJECTIONS_RATE = env("OBJECTIONS_RATE", default="5/h")

# --- security headers ----------------------------------------------------------------
# A Content-Security-Policy, enforced: no inline script anywhere, no plugins, no <base>.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"]
        + public_media_origins(STORAGES)
        + env.list("CSP_IMG_SRC", default=[]),
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The client address comes from the proxy only when it is trusted to set it.
if env.bool("TRUSTED_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preload-ready headers; submitting the domain to the preload list is a separate step.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True

SILENCED_SYSTEM_CHECKS = [
    # django-ratelimit warns that the in-process cache is not shared between
    # processes. That is the point of the laptop default; production sets
    # REDIS_URL, where the limits are shared by every app server.
    "django_ratelimit.W001",
]

# One JSON line per event, UTC, with the request id; codes, receipts and addresses
# scrubbed from every line (config/logs.py, config/log_filters.py). LOG_FORMAT=text for
# readable lines on a laptop.
LOGGING = logging_config(env("LOG_LEVEL", default="INFO"), env("LOG_FORMAT", default="json"))

# --- operations ----------------------------------------------------------------------
# /metrics (Prometheus) answers these addresses or networks only (the peer address);
# nginx allows and denies the same (deploy/nginx/manyi.conf).
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1/32", "::1/128"])
# While this file exists /readyz answers 503 (draining before a stop; config/health.py).
DRAIN_FILE = env("DRAIN_FILE", default="")
# Celery's broker (issue 12): /metrics reads the job queue's depth from it.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")

# Error tracking: Sentry's SDK when SENTRY_DSN is set; codes, receipts and addresses
# scrubbed from every event before it leaves (config/sentry.py).
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    from config.sentry import init_sentry

    init_sentry(SENTRY_DSN, environment=env("SENTRY_ENVIRONMENT", default="production"))
