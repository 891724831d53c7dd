"""Django settings for kijun, read from the environment.

Everything an operator changes is an environment variable (KIJUN_*), so the same code runs as the
single-machine SQLite default (``make run``) and as a PostgreSQL production service. Safe defaults:
DEBUG off, secure cookies whenever DEBUG is off, CSP without inline script, and a secret key that is
generated into the data directory on first run rather than committed.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url


def _bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str, default: str) -> list[str]:
    return [p.strip() for p in os.environ.get(name, default).split(",") if p.strip()]


PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("KIJUN_DATA_DIR") or (Path.cwd() / "var")).resolve()


def _secret_key() -> str:
    """KIJUN_SECRET_KEY, else a key generated once into DATA_DIR/secret_key (mode 0600)."""
    env = os.environ.get("KIJUN_SECRET_KEY")
    if env:
        return env
    path = DATA_DIR / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(64)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key


DEBUG = _bool("KIJUN_DEBUG")
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = _list("KIJUN_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = _list("KIJUN_CSRF_TRUSTED_ORIGINS", "")

#: Domain apps, each a package under kijun/ with its own models, pages (``urls.py``, mounted at
#: ``/<domain>/``) and API router (``api.py``); kijun.web.urls and kijun.web.api plug in whichever exist,
#: so a domain adds pages without editing the shared wiring.
DOMAIN_APPS: tuple[str, ...] = ("catalog", "cloud", "discovery", "diagnostics", "access")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "kijun.core",
    *(f"kijun.{d}" for d in DOMAIN_APPS),
    "kijun.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kijun.web.middleware.SecurityLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kijun.web.middleware.SessionTimeoutMiddleware",
    "kijun.web.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "kijun.web.middleware.NoStoreMiddleware",
]

ROOT_URLCONF = "kijun.web.urls"
WSGI_APPLICATION = "kijun.web.wsgi.application"
ASGI_APPLICATION = "kijun.web.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kijun.web.context.navigation",
            ],
        },
    }
]

_default_db = f"sqlite:///{DATA_DIR / 'kijun.sqlite3'}"
# Under ASGI (`kijun serve`) each request's sync code may run in a different thread, so persistent
# connections pile up until PostgreSQL refuses clients (found by benchmarks/bench_web.py). Close them
# per request; put PgBouncer in front when connection setup cost matters.
DB_CONN_MAX_AGE_DEFAULT = 0
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("KIJUN_DATABASE_URL") or _default_db,
        conn_max_age=int(os.environ.get("KIJUN_DB_CONN_MAX_AGE", str(DB_CONN_MAX_AGE_DEFAULT))),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout make concurrent web requests and CLI jobs wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "kijun.core.passwords.MaximumLengthValidator"},
    {"NAME": "kijun.core.passwords.BreachedPasswordValidator"},
]
#: Optional offline breach corpus (HIBP "Pwned Passwords" SHA-1, ordered by hash; see docs/security.md).
BREACHED_PASSWORDS_FILE = os.environ.get("KIJUN_BREACHED_PASSWORDS_FILE") or None
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Optional OpenID Connect single sign-on, enabled only when the provider is configured.
OIDC_ENABLED = bool(os.environ.get("KIJUN_OIDC_CLIENT_ID"))
if OIDC_ENABLED:
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.insert(0, "kijun.core.oidc.KijunOIDCBackend")
    OIDC_RP_CLIENT_ID = os.environ["KIJUN_OIDC_CLIENT_ID"]
    OIDC_RP_CLIENT_SECRET = os.environ.get("KIJUN_OIDC_CLIENT_SECRET", "")
    OIDC_RP_SIGN_ALGO = os.environ.get("KIJUN_OIDC_SIGN_ALGO", "RS256")
    OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("KIJUN_OIDC_AUTHORIZATION_ENDPOINT", "")
    OIDC_OP_TOKEN_ENDPOINT = os.environ.get("KIJUN_OIDC_TOKEN_ENDPOINT", "")
    OIDC_OP_USER_ENDPOINT = os.environ.get("KIJUN_OIDC_USER_ENDPOINT", "")
    OIDC_OP_JWKS_ENDPOINT = os.environ.get("KIJUN_OIDC_JWKS_ENDPOINT", "")
    OIDC_RP_SCOPES = "openid email profile"
    OIDC_CREATE_USER = _bool("KIJUN_OIDC_CREATE_USER", False)

# Sessions: server-side (database), idle and absolute timeouts enforced by SessionTimeoutMiddleware.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_IDLE_TIMEOUT = int(os.environ.get("KIJUN_SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_ABSOLUTE_TIMEOUT = int(os.environ.get("KIJUN_SESSION_ABSOLUTE_SECONDS", str(12 * 3600)))
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# KIJUN_LOCAL_HTTP=1 is the single-machine trial mode of `make run`: plain HTTP on 127.0.0.1, so no
# HTTPS redirect, HSTS or Secure-only cookies. Production (the default) requires TLS in front.
LOCAL_HTTP = _bool("KIJUN_LOCAL_HTTP")
SECURE = not DEBUG and not LOCAL_HTTP
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
LANGUAGE_COOKIE_SECURE = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if SECURE:
    SECURE_HSTS_SECONDS = int(os.environ.get("KIJUN_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = _bool("KIJUN_HSTS_PRELOAD", True)
    SECURE_SSL_REDIRECT = _bool("KIJUN_SSL_REDIRECT", True)
    # Probes come from the balancer over plain HTTP on the private side; they carry no data.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    if _bool("KIJUN_BEHIND_PROXY", False):
        # The TLS-terminating proxy must set X-Forwarded-Proto and strip it from clients.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS: list[str] = []

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Upload limits (per-type limits live with each upload view; this is the global ceiling).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("KIJUN_TIME_ZONE", "Asia/Tokyo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Static files are served from the installed package by WhiteNoise (finders); set KIJUN_STATIC_ROOT
# and run `manage.py collectstatic` to serve them from a directory or a front proxy instead.
STATIC_ROOT = os.environ.get("KIJUN_STATIC_ROOT") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = os.environ.get("KIJUN_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("KIJUN_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("KIJUN_EMAIL_PORT", "25"))
EMAIL_USE_TLS = _bool("KIJUN_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("KIJUN_EMAIL_FROM", "kijun@localhost")

# kijun's own knobs.
KIJUN_LOGIN_MAX_FAILURES = int(os.environ.get("KIJUN_LOGIN_MAX_FAILURES", "5"))
KIJUN_LOGIN_IP_MAX_FAILURES = int(os.environ.get("KIJUN_LOGIN_IP_MAX_FAILURES", "30"))
KIJUN_LOGIN_LOCK_SECONDS = int(os.environ.get("KIJUN_LOGIN_LOCK_SECONDS", str(15 * 60)))
KIJUN_API_TOKEN_MAX_DAYS = int(os.environ.get("KIJUN_API_TOKEN_MAX_DAYS", "365"))
KIJUN_AUDIT_SIGNING_KEY = os.environ.get("KIJUN_AUDIT_SIGNING_KEY", str(DATA_DIR / "audit_signing_key"))
KIJUN_AUDIT_ORIGIN = os.environ.get("KIJUN_AUDIT_ORIGIN", "kijun.local/audit")
KIJUN_API_DOCS_PUBLIC = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "kijun.web.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "loggers": {
        "kijun.security": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# API paging bounds: out-of-range limits/offsets are a 422, never a database overflow.
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500
NINJA_PAGINATION_MAX_OFFSET = 100_000_000
