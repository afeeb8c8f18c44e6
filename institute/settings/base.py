"""Settings shared by every environment. Values come from the environment (see .env.example)."""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from institute.client_address import parse_trusted_proxies

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false).")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _env_number(name: str, default, read, kind: str):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return read(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not {kind}.") from None


def env_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "a whole number")


def env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number")


def _seconds_or_off(value: str) -> float | None:
    if value.strip().lower() == "off":
        return None
    seconds = float(value)
    if not seconds >= 0:  # also refuses nan
        raise ValueError(value)
    return seconds


def env_seconds_or_off(name: str, default: float | None) -> float | None:
    """A number of seconds, 0 or more, or None for "off"."""
    return _env_number(name, default, _seconds_or_off, 'a number of seconds (0 or more) or "off"')


DEBUG = env_bool("DEBUG", default=False)

INSTALLED_APPS = [
    "institute.admin_apps.InstituteAdminConfig",  # django.contrib.admin with our AdminSite
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.syndication",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django_filters",
    "import_export",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "axes",  # admin sign-in throttling (AXES_* below)
    "institute",
    "reforms",
    "recommendations",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "api",
]

MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",  # first: the API's CORS headers on every answer
    # A part of a download sent from a file, of the bytes as they leave (institute/byte_ranges.py).
    "institute.byte_ranges.ByteRangeMiddleware",
    # Outside every middleware that writes a body: text answers gzip-compressed for a client that
    # accepts it, a kept page's from its entry (institute/compression.py).
    "institute.compression.CompressionMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, which answers conditional requests for static files itself.
    "institute.conditional_get.IgnoreFutureIfModifiedSinceMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A NUL in the path: 400 before any view looks it up (institute/address_guard.py).
    "institute.address_guard.NulInAddressMiddleware",
    "institute.middleware.DatabaseUnavailableMiddleware",  # database down: 503 page, not a 500
    # Anonymous public answers from the cache; before the session middleware, so a cached
    # answer costs no session, authentication or CSRF work (institute/page_cache.py).
    # A first visit in the browser's language, before the page cache answers in English.
    "institute.languages.FirstVisitLanguageMiddleware",
    "institute.page_cache.PublicPageCacheMiddleware",
    # Inside the page cache: a kept answer keeps its policy, built once rather than on every
    # answer the cache gives (70-100 µs of CPU an answer here, benchmarks/README.md section 4).
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout into a 429
]

ROOT_URLCONF = "institute.urls"
WSGI_APPLICATION = "institute.wsgi.application"

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
                "institute.languages.context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASE_WORK_MEM = os.environ.get("DATABASE_WORK_MEM", "").strip() or "16MB"
if not re.fullmatch(r"[1-9][0-9]*(kB|MB|GB)", DATABASE_WORK_MEM):
    raise ImproperlyConfigured(
        f"DATABASE_WORK_MEM={DATABASE_WORK_MEM!r} is not an amount of memory as PostgreSQL "
        "writes it (a whole number and kB, MB or GB: 16MB)."
    )
# A connection kept between requests (conn_max_age) is checked before it is reused, so a
# database restart costs a reconnect, not an error page; on a public request the content
# marker's read is that check (institute/listings/generation.py).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"].get("ENGINE") == "django.db.backends.postgresql":
    # No JIT: at 100k reforms PostgreSQL 15 spent 310 ms compiling the export's query before its
    # first row, more than the whole query takes at 20k; our queries are short or streamed.
    # Random reads priced as the tables are kept (in memory or on SSD), not as on a spinning
    # disk (the default, 4), under which a streamed export sorts the whole table before its
    # first row instead of reading an index in the file's order. `bench_export.py 1000000`:
    # /data/reforms.csv's first row 3,633 ms with 4, 3 ms with 1.1, the whole file as fast.
    # work_mem: PostgreSQL's default (4 MB) is too small for the bitmap of a search matching a
    # sixth of 1M reforms, which then goes lossy and rereads every row of its pages, search
    # vector and all: `/reforms/?q=tenge&area=human-rights` cold 2.9 s with 4 MB, 1.3 s with 16
    # (benchmarks/README.md, section 3c). It is a limit per sort or hash of a query, not a
    # reservation: a database shared by many servers may want it lower.
    # prepare_threshold: Django leaves it None (nothing prepared); 5 is psycopg's own default.
    # Django's cursors bind on the client, which psycopg never prepares whatever this says; the
    # content marker's cursor binds on the server and asks for its statement to be prepared
    # (institute/listings/generation.py).
    # A pooler that cannot hold prepared statements (PgBouncer in transaction mode before 1.21,
    # or without max_prepared_statements) needs DATABASE_PREPARED_STATEMENTS=0.
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "options": f"-c jit=off -c random_page_cost=1.1 -c work_mem={DATABASE_WORK_MEM}",
        "prepare_threshold": 5 if env_bool("DATABASE_PREPARED_STATEMENTS", default=True) else None,
    }
if DATABASES["default"].get("ENGINE") == "django.db.backends.sqlite3":
    # SQLite (the quick start) has several writers at once: runserver's threads and db_worker.
    # WAL lets readers go on while one writes; a write transaction takes the write lock when it
    # begins (IMMEDIATE), so a second writer waits for it (up to `timeout` seconds) instead of
    # failing halfway with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }

# One cache for every process (the web server's workers, the background worker): the database's
# table `django_cache` (made by `manage.py createcachetable`; the test runner makes its own), or
# Redis with CACHE_URL=redis://host:6379/0, which several servers share (README, "Running more
# than one server"). Never a per-process memory cache, which would leave each worker its own
# view of the /data/ summary. Redis going away makes the site slower, never an error page
# (institute/shared_cache.py); it is tried again every CACHE_RETRY_SECONDS.
CACHE_URL = os.environ.get("CACHE_URL", "").strip()
CACHE_RETRY_SECONDS = env_float("CACHE_RETRY_SECONDS", 2)
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "institute.shared_cache.ResilientRedisCache",
            "LOCATION": CACHE_URL,
            # Several sites (or test runs) may share one Redis: each its own prefix.
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "").strip(),
            # Seconds: a Redis that does not answer costs a visitor this much, once per
            # CACHE_RETRY_SECONDS, not a hung worker.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    # Sessions in the cache and in the database: read from Redis, kept in the database, so a
    # signed-in editor stays signed in on every server and while Redis is away.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
elif CACHE_URL:
    raise ImproperlyConfigured(
        f"CACHE_URL={CACHE_URL!r} is not a Redis URL (redis://host:6379/0); leave it unset to "
        "use the database's cache table."
    )
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
        }
    }

# The public page cache (institute/page_cache.py): anonymous GETs of public pages, downloads
# and the API answered from the shared cache while the public content stays as it was.
# PAGE_CACHE=0 turns it off (the load test's baseline). For proxies and browsers: keep a page
# PAGE_CACHE_MAX_AGE seconds, then serve it for PAGE_CACHE_STALE_WHILE_REVALIDATE more while
# asking again.
PAGE_CACHE = env_bool("PAGE_CACHE", default=True)
PAGE_CACHE_MAX_AGE = env_int("PAGE_CACHE_MAX_AGE", 60)
PAGE_CACHE_STALE_WHILE_REVALIDATE = env_int("PAGE_CACHE_STALE_WHILE_REVALIDATE", 30)
PAGE_CACHE_MAX_BYTES = env_int("PAGE_CACHE_MAX_BYTES", 4 * 1024 * 1024)
# A larger answer is kept as a file here instead (institute/answer_files.py: a folder every
# server sees), the folder holding at most PAGE_CACHE_DISK_BYTES (one answer at most a quarter
# of it; 0 keeps none on disk).
PAGE_CACHE_DIR = Path(os.environ.get("PAGE_CACHE_DIR") or BASE_DIR / "var" / "page-cache")
PAGE_CACHE_DISK_BYTES = env_int("PAGE_CACHE_DISK_BYTES", 4 * 1024**3)
PAGE_CACHE_TIMEOUT = 24 * 3600  # an entry under an old marker is overwritten, or expires
# The first visitors after a publish: one computes the page (holding a lock for at most
# PAGE_CACHE_LOCK_SECONDS); the others get the previous answer meanwhile, or with none, wait up
# to PAGE_CACHE_WAIT_SECONDS for the one being computed.
PAGE_CACHE_LOCK_SECONDS = env_int("PAGE_CACHE_LOCK_SECONDS", 30)
PAGE_CACHE_WAIT_SECONDS = env_float("PAGE_CACHE_WAIT_SECONDS", 10)
# The one who computes it is given the new answer if it is ready within
# PAGE_CACHE_STALE_AFTER_SECONDS, else the previous one as well, while the computation finishes
# on a thread of its own (at most PAGE_CACHE_REVALIDATE_THREADS at once a process; past that it
# computes it itself). "off": it waits for the computation whole.
PAGE_CACHE_STALE_AFTER_SECONDS = env_seconds_or_off("PAGE_CACHE_STALE_AFTER_SECONDS", 0.1)
PAGE_CACHE_REVALIDATE_THREADS = env_int("PAGE_CACHE_REVALIDATE_THREADS", 2)
PAGE_CACHE_SKIP = ["/admin/", "/healthz", "/api/"]
# A search nobody asked before reads its facet counts and its ranked page at once, on two
# database connections in one snapshot (institute.reads_at_once; PostgreSQL): one more connection
# for the length of the read. Off: one after the other, on the request's connection.
LISTING_READS_AT_ONCE = env_bool("LISTING_READS_AT_ONCE", default=True)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated): the
# API's throttle and the sign-in lockout count the client such a proxy names, and anyone else by
# the address they connect from (institute/client_address.py). None here: development has no
# proxy. Production trusts the loopback when the web server listens only there (see there).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
parse_trusted_proxies(TRUSTED_PROXIES)  # a typo stops the start, with the entry named

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username
# from one address, that pair is refused (HTTP 429), even with the right password, for
# AXES_COOLOFF_MINUTES. A successful sign-in before then clears the count. Attempts are rows in
# the database, so every web server worker counts the same ones. Locking the pair, not the
# username, means nobody elsewhere can lock an editor out by guessing wrong on purpose.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out pair before any check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The same client address as the API's throttle: behind the proxy, REMOTE_ADDR is the proxy's,
# shared by every client, which would make the pair lock a username for everyone.
AXES_CLIENT_IP_CALLABLE = "institute.client_address.client_address"
AXES_RESET_ON_SUCCESS = True
# Its start banner, printed by every command and process, only when asked for.
AXES_VERBOSE = env_bool("AXES_VERBOSE", False)
# No admin pages for the attempts (tests/test_url_permission_matrix.py has a row for every admin
# URL, and these have none yet): `manage.py axes_list_attempts` / `axes_reset` instead.
AXES_ENABLE_ADMIN = False

# Content-Security-Policy (django-csp 4), in every environment so the tests see what production
# sends: scripts and styles only from our own static files, never inline (no 'unsafe-inline').
# Templates therefore carry no <script> bodies, <style> blocks, style="" or on…="" attributes
# (tests/test_csp.py checks them); the admin's own templates comply, django-import-export's
# export page is overridden in templates/admin/import_export/export.html.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if os.environ.get("CSP_REPORT_URI"):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [os.environ["CSP_REPORT_URI"]]

# Where /about/ asks readers to send corrections; optional (the page says what to send either way).
CORRECTIONS_EMAIL = os.environ.get("CORRECTIONS_EMAIL", "").strip()

LANGUAGE_CODE = "en-gb"
# English without a prefix (every address published before keeps working), Russian under /ru/,
# Kazakh under /kk/ (institute/languages.py). The names are each language's own.
LANGUAGES = [("en-gb", "English"), ("ru", "Русский"), ("kk", "Қазақша")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# Addresses without a language besides files (a last segment with an extension: downloads,
# feeds of files, sitemap.xml, robots.txt): the API (it reads ?lang=) and the health check.
LANGUAGE_NEUTRAL_PATHS = ["/api/", "/healthz", "/static/"]
# Which text a visitor reading a language is given when an entry has no translation into it
# yet, in order (the original English always comes last): an institute may prefer Russian to
# English for Kazakh readers, CONTENT_LANGUAGE_FALLBACKS=kk:kk,ru (institute/translations.py).
CONTENT_LANGUAGE_FALLBACKS = {
    language: order.split(",")
    for language, _, order in (
        item.partition(":")
        for item in os.environ.get("CONTENT_LANGUAGE_FALLBACKS", "").split(";")
        if item.strip()
    )
}
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The dataset files kept once written (releases, institute.datasets.releases): a folder every
# server of the site shares (DATASETS_DIR), or any storage backend under the alias `datasets`.
DATASETS_DIR = Path(os.environ.get("DATASETS_DIR") or BASE_DIR / "var" / "datasets")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    "datasets": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATASETS_DIR)},
    },
}

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")

# Where `manage.py backup_db` (make backup) writes; relative paths are from the project folder.
BACKUP_DIR = BASE_DIR / (os.environ.get("BACKUP_DIR") or "backups")

# Publishing takes an approval of the version in review by a reviewer other than its author;
# REVIEW_REQUIRES_APPROVAL=0 relaxes it for a team too small to have a second reader.
REVIEW_REQUIRES_APPROVAL = env_bool("REVIEW_REQUIRES_APPROVAL", default=True)

IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = True  # our own history and versions record imports
# The largest CSV an import takes. An admin upload is kept whole in the database until it is
# confirmed (and read whole into memory by the worker), so it has limits of its own. The command
# line reads its file a part at a time (institute.datasets.importer).
IMPORT_UPLOAD_MAX_BYTES = env_int("IMPORT_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
IMPORT_UPLOAD_MAX_ROWS = env_int("IMPORT_UPLOAD_MAX_ROWS", 100_000)
IMPORT_COMMAND_MAX_BYTES = env_int("IMPORT_COMMAND_MAX_BYTES", 1024**3)
IMPORT_COMMAND_MAX_ROWS = env_int("IMPORT_COMMAND_MAX_ROWS", 1_000_000)
# On PostgreSQL an import asks the database which rows are what the public file writes for
# their entry now, a part of the file at a time, and reports those unchanged without reading
# their entries (institute.datasets.unchanged); off, every row is checked and planned in Python
# (the same report, slower). SQLite always takes the latter.
IMPORT_UNCHANGED_BY_SQL = env_bool("IMPORT_UNCHANGED_BY_SQL", default=True)
# The whole-dataset downloads (/data/package.zip, /data/<table>.<format>) are built once per
# content version and kept here.
DATA_PACKAGE_DIR = Path(os.environ.get("DATA_PACKAGE_DIR") or BASE_DIR / "var" / "data-packages")
# They are made by the worker ahead of visitors (institute.datasets.finished_files): it looks this
# often whether the content changed. A request builds a missing package itself only while no
# table has more public rows than this; past that it is told the package is being made.
DATA_PACKAGE_PREBUILD_SECONDS = env_int("DATA_PACKAGE_PREBUILD_SECONDS", 10)
DATA_PACKAGE_INLINE_MAX_ROWS = env_int("DATA_PACKAGE_INLINE_MAX_ROWS", 20_000)
# On PostgreSQL the public CSV exports are written by the database (COPY ... TO STDOUT); off, by
# Python, row by row (the same bytes, about 100 times slower). SQLite always takes the latter.
DATASET_EXPORT_COPY = env_bool("DATASET_EXPORT_COPY", default=True)
# Rows an XLSX sheet holds at most, its header included: by default the most a spreadsheet
# opens (Excel's 1,048,576); lower it to cap the size of workbooks. A longer table or selection
# is refused as a workbook (institute.datasets.export), never cut short.
XLSX_MAX_ROWS = env_int("XLSX_MAX_ROWS", 1_048_576)

# Background jobs (large admin imports) are rows in the database run by `manage.py db_worker`,
# which `make run` starts: no extra server to install.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Uploads above this many rows import in the background with a progress page.
ADMIN_IMPORT_BACKGROUND_ROWS = env_int("ADMIN_IMPORT_BACKGROUND_ROWS", 2_000)
# A running import writes a heartbeat this often; one silent for IMPORT_JOB_STALE_SECONDS, whose
# worker is gone, is marked failed (retryable) by the sweep, which `manage.py run_worker` runs
# every IMPORT_JOB_SWEEP_SECONDS. A failed job's file is deleted after IMPORT_JOB_KEEP_DAYS.
IMPORT_JOB_HEARTBEAT_SECONDS = env_float("IMPORT_JOB_HEARTBEAT_SECONDS", 5)
IMPORT_JOB_STALE_SECONDS = env_float("IMPORT_JOB_STALE_SECONDS", 60)
IMPORT_JOB_SWEEP_SECONDS = env_float("IMPORT_JOB_SWEEP_SECONDS", 30)
IMPORT_JOB_KEEP_DAYS = env_int("IMPORT_JOB_KEEP_DAYS", 7)

# --- Email: visitors' alerts and reviewers' notices (institute.alerts; README "Alerts") --------
# The site's address as visitors reach it, for what is written outside a request: messages link
# back to it; a release cut with `manage.py release create` writes it in its files' `url` columns
# (empty: the command asks for --base-url).
SITE_URL = os.environ.get("SITE_URL", "").strip()
EMAIL_HOST = os.environ.get("EMAIL_HOST", "").strip() or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 20  # seconds: a stuck mail server fails the message, it does not hang the page
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "").strip() or "alerts@localhost"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": (os.environ.get("LOG_LEVEL") or "INFO").upper()},
}

# --- The public read API (/api/v1/, the api package; README "API") ---------------------------
# Anonymous requests per client address, counted in the default cache (CACHES); "off" (or an
# empty variable in the environment: in a .env file an empty value is the default) for no
# limit. Tests set it low (tests/test_api.py). A 304 counts too: it is a request.
API_THROTTLE_RATE = os.environ.get("API_THROTTLE_RATE", "120/minute").strip()
API_THROTTLE_RATE = None if API_THROTTLE_RATE.lower() in ("", "off") else API_THROTTLE_RATE
if API_THROTTLE_RATE and not re.fullmatch(
    r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", API_THROTTLE_RATE
):
    raise ImproperlyConfigured(
        f"API_THROTTLE_RATE={API_THROTTLE_RATE!r} is not a rate: requests/period, e.g. "
        "120/minute (periods: second, minute, hour, day); off for no limit."
    )
API_PAGE_SIZE = 50
API_MAX_PAGE_SIZE = 500
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "URL_FORMAT_OVERRIDE": None,
    # Behind N proxies the client is the Nth from the right of X-Forwarded-For (never a
    # client's own claim), and only when the request comes from one of TRUSTED_PROXIES
    # (api.views.AnonymousPerAddress). Production sits behind one: see there.
    "NUM_PROXIES": env_int("API_NUM_PROXIES", 0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kazakhstan Reform Tracker API",
    "DESCRIPTION": (
        "Read-only, published entries only. Records have the columns of the CSV files (see "
        "the codebook on /data/). Lists page by cursor (follow `next`); `updated_since` gives "
        "what changed; ETag and Last-Modified answer conditional requests with 304."
    ),
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Its deployment check builds the schema, which reads the filters' choices from the
    # database: `check --deploy` runs before there is one. tests/test_api.py builds it instead.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    # One vocabulary behind the three dates' qualifier columns: one name for it.
    "ENUM_NAME_OVERRIDES": {"DateQualifierEnum": "institute.dates.DateQualifier"},
}
# Any origin may read the API (GET, and the preflight a conditional request needs); nothing
# else of the site is shared.
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_HEADERS = ["if-none-match", "if-modified-since"]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After"]

# Search: the synonyms kept with the content (institute/listings/synonyms.py).
SEARCH_SYNONYMS_FILE = BASE_DIR / "fixtures" / "content" / "search" / "synonyms.yaml"
