"""Tests: the development settings with a fast password hasher and plain static storage."""

import os
import tempfile
from pathlib import Path

from .base import env_bool, env_seconds_or_off
from .local import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATASETS_DIR = Path(tempfile.mkdtemp(prefix="reform-tracker-datasets-"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "datasets": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATASETS_DIR)},
    },
}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
SITE_URL = "http://testserver"

# On SQLite the test database is a file beside the database (test_<name>), not memory, so that a
# process the tests start (tests/test_import_jobs_resilience.py runs `manage.py run_worker`)
# shares it. Named after DATABASE_URL's file, so checkouts with their own databases do not meet.
_db = DATABASES["default"]  # noqa: F405
if _db.get("ENGINE") == "django.db.backends.sqlite3" and str(_db["NAME"]) not in ("", ":memory:"):
    _name = Path(_db["NAME"])
    _db["TEST"] = {**_db.get("TEST", {}), "NAME": str(_name.with_name(f"test_{_name.name}"))}

# Each test process keeps its data packages apart, and nothing in the checkout.
# (The servers a test starts share one, as servers in production do: DATA_PACKAGE_DIR.)
DATA_PACKAGE_DIR = Path(
    os.environ.get("DATA_PACKAGE_DIR") or tempfile.mkdtemp(prefix="reform-tracker-packages-")
)
PAGE_CACHE_DIR = Path(
    os.environ.get("PAGE_CACHE_DIR") or tempfile.mkdtemp(prefix="reform-tracker-page-cache-")
)

# Off by default, so that a test sees the view's own work (its query budget, a changed setting);
# the page cache's tests turn it on (tests/test_page_cache.py), and the servers the multi-server
# tests start run with it as production does.
PAGE_CACHE = env_bool("PAGE_CACHE", default=False)
# A test's own data is in its transaction, which a recomputation on another thread would not
# see: the visitor waits for the computation, unless a test (on a real server, its data
# committed) says otherwise.
PAGE_CACHE_STALE_AFTER_SECONDS = env_seconds_or_off("PAGE_CACHE_STALE_AFTER_SECONDS", None)
