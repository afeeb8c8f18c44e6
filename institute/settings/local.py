"""Development: the only settings with fallbacks, and only while DEBUG is on."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool, env_list

DEBUG = env_bool("DEBUG", default=True)

if DEBUG:
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-insecure-key-never-use-in-production"
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
else:
    if not os.environ.get("SECRET_KEY"):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = os.environ["SECRET_KEY"]
    if not ALLOWED_HOSTS:  # noqa: F405
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")

if DEBUG:
    SITE_URL = SITE_URL or "http://127.0.0.1:8000"  # noqa: F405
    # Without a mail server, messages are printed where `make run` writes.
    if not os.environ.get("EMAIL_HOST"):
        EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Serve static files straight from the source folders while developing.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# On SQLite (the quick start), Django warns on every command that the covering index of the
# listings (an INCLUDE) is PostgreSQL's only; `make run`'s banner (show_database) says it once.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
