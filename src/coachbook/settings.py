"""Settings, read from the environment through small typed helpers.

Every variable is listed in the README under "Settings"; a test keeps the two
in step.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default

    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default

    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("COACHBOOK_DEBUG", False)
INSECURE_SECRET_KEY = "insecure-local-only-key-change-me"
SECRET_KEY = env_str("COACHBOOK_SECRET_KEY", INSECURE_SECRET_KEY)
ALLOWED_HOSTS = env_list("COACHBOOK_ALLOWED_HOSTS", ["localhost", "127.0.0.1"])

# Production mode refuses to start on a laptop's settings instead of serving
# personnel-sensitive notes with a guessable key or debug pages.
PRODUCTION = env_bool("COACHBOOK_PRODUCTION", False)
if PRODUCTION:
    problems = []
    if SECRET_KEY == INSECURE_SECRET_KEY or len(SECRET_KEY) < 50:
        problems.append(
            "Set COACHBOOK_SECRET_KEY to a random value of at least 50 characters, "
            'for example the output of: python3 -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    if not os.environ.get("COACHBOOK_ALLOWED_HOSTS") or not ALLOWED_HOSTS:
        problems.append(
            "Set COACHBOOK_ALLOWED_HOSTS to the host names people use to reach "
            "coachbook, comma-separated, e.g. coach.example.com"
        )
    if DEBUG:
        problems.append(
            "Unset COACHBOOK_DEBUG: debug pages show data and settings to anyone"
        )
    if problems:
        raise ImproperlyConfigured(
            "COACHBOOK_PRODUCTION is on, but the settings are not safe to serve: "
            + " ".join(f"({n}) {p}." for n, p in enumerate(problems, 1))
        )
DATA_DIR = Path(env_str("COACHBOOK_DATA_DIR", str(Path.cwd() / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'coachbook.sqlite3'}"),
        conn_max_age=env_int("COACHBOOK_DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests run on a fresh database; the name only matters for the demo.
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
    # Two saves at once wait for each other instead of failing with "locked":
    # transactions take the write lock up front, and readers do not block writers.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    "django_htmx",
    "coachbook.people",
    "coachbook.crm",
    "coachbook.coaching",
    "coachbook.ops",
    "coachbook.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "coachbook.web.middleware.SessionLockedMiddleware",
    "coachbook.web.middleware.PersonTimeZoneMiddleware",
    "coachbook.web.middleware.PermissionsPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "coachbook.urls"
WSGI_APPLICATION = "coachbook.wsgi.application"
AUTH_USER_MODEL = "people.Person"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Passwords: Argon2 for new and changed passwords; older PBKDF2 hashes still
# verify and are upgraded to Argon2 at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes): after COACHBOOK_LOGIN_ATTEMPTS failures for one
# username from one address, that pair is locked out for
# COACHBOOK_LOGIN_LOCKOUT_MINUTES; every failed attempt while locked starts the
# wait again. Sales ops can unlock early under "Access attempts" in the admin.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = True  # in tests too: they use force_login, which axes does not see
AXES_FAILURE_LIMIT = env_int("COACHBOOK_LOGIN_ATTEMPTS", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("COACHBOOK_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"

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
                "coachbook.web.context.organisation",
            ],
        },
    }
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False
FORMAT_MODULE_PATH = ["coachbook.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Serve app assets straight from the packages: the demo needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# A login lasts COACHBOOK_SESSION_HOURS from the moment of logging in, however
# active the person is; then they log in again.
SESSION_COOKIE_AGE = env_int("COACHBOOK_SESSION_HOURS", 12) * 3600
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Sent by coachbook.web.middleware.PermissionsPolicyMiddleware.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# Content-Security-Policy (django-csp): only this server's own scripts, styles
# and images; no inline script or style, no framing, no plugins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# Production: cookies only over HTTPS, HTTPS remembered by browsers for a year,
# plain-HTTP requests redirected. Behind a proxy that terminates TLS, the proxy
# must set X-Forwarded-Proto (and drop any copy a client sends).
if env_bool("COACHBOOK_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION and not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = env_bool("COACHBOOK_SSL_REDIRECT", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "django.request": {
            "handlers": ["console"],
            "level": "ERROR",
            "propagate": False,
        },
        "coachbook": {
            "handlers": ["console"],
            "level": env_str("COACHBOOK_LOG_LEVEL", "INFO"),
        },
    },
}

# What the organisation calls money and time. Per-organisation values that an
# admin edits live on the Organisation row; these are the defaults it starts with.
COACHBOOK_CURRENCY = env_str("COACHBOOK_CURRENCY", "USD")
COACHBOOK_FISCAL_YEAR_START_MONTH = env_int("COACHBOOK_FISCAL_YEAR_START_MONTH", 1)

# Finalised sessions and their records older than this many years are removed
# by `coachbook retention` (after export); 0 keeps them forever.
COACHBOOK_RETENTION_YEARS = env_int("COACHBOOK_RETENTION_YEARS", 7)
