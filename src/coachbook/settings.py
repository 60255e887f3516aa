"""Settings, read from the environment through small typed helpers.

Every variable is listed in the README under "Settings"; a test keeps the two
in step.
"""

import os
from pathlib import Path

import dj_database_url

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
SECRET_KEY = env_str("COACHBOOK_SECRET_KEY", "insecure-local-only-key-change-me")
ALLOWED_HOSTS = env_list("COACHBOOK_ALLOWED_HOSTS", ["localhost", "127.0.0.1"])
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
    "django_htmx",
    "coachbook.people",
    "coachbook.crm",
    "coachbook.coaching",
    "coachbook.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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
]

ROOT_URLCONF = "coachbook.urls"
WSGI_APPLICATION = "coachbook.wsgi.application"
AUTH_USER_MODEL = "people.Person"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

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

SESSION_COOKIE_AGE = env_int("COACHBOOK_SESSION_HOURS", 12) * 3600
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

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
