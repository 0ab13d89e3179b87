"""The only settings module: every deployment difference comes from the environment (12-factor).

Variables are documented in `.env.example`. A `.env` file is read only if it exists.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from zqztc.spreadsheets import SafeXLSX

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# No default secret: a deployment without SECRET_KEY must fail loudly.
SECRET_KEY = env.str("SECRET_KEY")
if not SECRET_KEY.strip():
    raise ImproperlyConfigured("SECRET_KEY must not be empty; see .env.example.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django_filters",
    "django_htmx",
    "import_export",
    "phonenumber_field",
    "simple_history",
    "axes",
    "csp",
    "django_celery_beat",
    "petitions",
    "supervision",
    "meetings",
    "notices",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # django-csp's, except on PDFs; after WhiteNoise, so static files go without it.
    "zqztc.middleware.ContentSecurityPolicyMiddleware",
    # Before anything reads the session cookie, the query string or the form.
    "zqztc.sanitize.ControlCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Needs request.user; sees every response a view or a later middleware returns.
    "zqztc.middleware.private_no_store",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Records request.user as the author of history rows (petitions/history.py).
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks, so that lock-outs see the authenticated request.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "zqztc.urls"
WSGI_APPLICATION = "zqztc.wsgi.application"

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
                "django.template.context_processors.i18n",
                "petitions.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if "postgresql" in DATABASES["default"]["ENGINE"]:
    # At a million rows JIT compilation cost 200-600 ms per statistics query and saved nothing, and
    # the default random_page_cost (spinning disks) sent the inbox to slower parallel plans.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = env.str(
        "PG_OPTIONS", default="-c jit=off -c random_page_cost=1.1"
    )
# SQLite (make run) ignores the covering columns of an index; PostgreSQL uses them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "petitions.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
FORM_RENDERER = "zqztc.forms.FormRenderer"

# Chinese first; English exists so the msgids stay meaningful and a second language is possible.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

# Admin exports (django-import-export) only as .xlsx written by zqztc/spreadsheets.py, where typed
# text never becomes a formula; no CSV, which has no cell types to keep "=…" as text.
EXPORT_FORMATS = [SafeXLSX]

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://")
    if not env.str("REDIS_URL", default="")
    else {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env.str("REDIS_URL"),
        # A Redis that accepts and never answers must not hang a request: the rate limiter fails
        # open on the timeout (docs/jobs.md, "Redis down").
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

# EMAIL_URL, e.g. smtp+tls://user:password@mail.example.gov.cn:587. Without it, development prints
# mail to the console and production drops it: the console would put password-reset links and petition
# texts in the process log. `check --deploy` refuses both (petitions/checks.py).
# An empty EMAIL_URL= (as in .env.example) counts as unset. Not kept as a setting of its own: it
# holds the password, and the debug page hides only settings named like *PASS*.
vars().update(
    env.email_url_config(
        env.str("EMAIL_URL", default="") or ("consolemail://" if DEBUG else "dummymail://")
    )
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="zqztc@localhost")
# SMS_URL chooses the SMS backend (docs/sms.md): console:// in development, dummy:// (dropped, and
# refused by `check --deploy`) in production until a gateway is set, e.g. http://gw.example:8080/send.
SMS_URL = env.str("SMS_URL", default="") or ("console://" if DEBUG else "dummy://")
# The signature some gateways put in front of every message, e.g. 【政企直通车】.
SMS_SIGN = env.str("SMS_SIGN", default="")
# The address people reach the site at, for links in e-mail and SMS (no trailing slash).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: eager by default so `make run` needs no broker; production sets a Redis broker.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=env.str("REDIS_URL", default="memory://"))
CELERY_RESULT_BACKEND = None
# No results kept, so beat needs no "celery.backend_cleanup" entry of its own to expire them.
CELERY_RESULT_EXPIRES = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TIMEZONE = TIME_ZONE
# A request must not hang when the broker is down: fail fast, the row stays pending (zqztc/queue.py).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    "socket_connect_timeout": 2,
}
# The default beat schedule. Beat reads the schedule from the database (django-celery-beat,
# CELERY_BEAT_SCHEDULER below): on every start it writes these entries into its PeriodicTask table
# by name, so the admin lists them next to any added there; an entry disabled in the admin stays
# disabled, but its timing is reset to this dict at each start (docs/jobs.md, "Beat's schedule").
# Every job is safe to run any number of times (docs/conventions.md C7): the reminder jobs run
# hourly through the working day so that a run missed or killed is resumed the same day, each run
# after a finished one a no-op (docs/jobs.md, "Digests and reminders"); the sweep acts on the 25th
# or the next working day and catches up on any later day of the month.
CELERY_BEAT_SCHEDULE = {
    "daily-reminders": {
        "task": "supervision.tasks.daily_reminders",
        "schedule": crontab(hour="8-18", minute=0),
    },
    "thursday-progress": {
        "task": "supervision.tasks.thursday_progress",
        "schedule": crontab(hour="9-18", minute=0),
    },
    "monthly-sweep": {
        "task": "supervision.tasks.monthly_sweep",
        "schedule": crontab(hour=7, minute=30),
    },
    # Every notice waiting to be sent or retried (notices/sender.py), whatever became of its own task.
    "deliver-notices": {
        "task": "notices.tasks.deliver_due",
        "schedule": crontab(minute="*"),
    },
    # Import workbooks previewed and abandoned hold registry data: gone within a few hours.
    "purge-import-uploads": {
        "task": "petitions.tasks.purge_import_uploads",
        "schedule": crontab(minute=17),
    },
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# django-axes: lock an account+IP after repeated failed logins.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# Behind a reverse proxy set AXES_BEHIND_PROXY=1 so lock-outs key on the client, not the proxy.
if env.bool("AXES_BEHIND_PROXY", default=False):
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

PHONENUMBER_DEFAULT_REGION = "CN"
PHONENUMBER_DEFAULT_FORMAT = "NATIONAL"

# Security: strict unless DEBUG; each can be relaxed from the environment behind a TLS proxy.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4, through zqztc.middleware): scripts only from our own files,
# no inline script, no on*= handler, no eval (tests/test_headers.py greps the templates). The few
# <style> blocks carry the request's nonce: print pages keep their CSS inline because WeasyPrint
# fetches nothing. Bootstrap draws its form and menu icons from data: URLs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Sessions last one working day from sign-in (8:30 to 17:30 with the lunch break: 9 hours), then the
# user signs in again; Django renews the age only when the session data changes, not on every request.
# A persistent cookie with that age rather than a browser-session cookie: browsers that restore tabs
# keep those for days, and the server-side expiry (the same age) is what ends the session.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=9 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = False

# Uploads: petition attachments (docs/rules.md §3); checked again by content in the forms.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Portal rate limits (petitions/ratelimit.py): per hour, counted in the cache above.
# Production needs the Redis cache (REDIS_URL): the local-memory cache counts per process.
PORTAL_RATE_WINDOW = 3600
PORTAL_SUBMIT_PER_ACCOUNT = env.int("PORTAL_SUBMIT_PER_ACCOUNT", default=10)
PORTAL_SUBMIT_PER_IP = env.int("PORTAL_SUBMIT_PER_IP", default=30)
PORTAL_SIGNUP_PER_IP = env.int("PORTAL_SIGNUP_PER_IP", default=10)
# SMS password-reset codes asked from one address per hour (besides the limits per number).
PORTAL_RESET_CODE_PER_IP = env.int("PORTAL_RESET_CODE_PER_IP", default=10)
# --- end of portal rate limits
