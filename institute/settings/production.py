"""Production: every secret from the environment, no fallbacks; a missing one fails at start-up.

Each problem is one line of an ImproperlyConfigured; `python -m institute.preflight` (the first
step of `make serve`) prints those lines without a traceback and exits 2.
"""

import os

from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

from institute.client_address import bind_is_loopback

from .base import *  # noqa: F403
from .base import STORAGES, env_bool, env_int, env_list

# Debug mode shows settings, code and queries to anyone who triggers an error: never here.
if env_bool("DEBUG", default=False):
    raise ImproperlyConfigured(
        "DEBUG is on with institute.settings.production: production never runs in debug mode; "
        "unset DEBUG (or use DJANGO_SETTINGS_MODULE=institute.settings.local to develop)."
    )
DEBUG = False
IS_PRODUCTION = True  # commands for development only (demo_users) refuse to run

_problems = []
SECRET_KEY = os.environ.get("SECRET_KEY", "").strip()
if not SECRET_KEY:
    _problems.append(
        "SECRET_KEY is not set: set it to a long random string, e.g. the output of "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )
# Django's own measure of a weak key (check --deploy's security.W009), refused rather than
# warned about: a guessable key lets anyone forge sessions and password-reset links.
elif (
    len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH
    or len(set(SECRET_KEY)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
    or SECRET_KEY.startswith(SECRET_KEY_INSECURE_PREFIX)
):
    _problems.append(
        f"SECRET_KEY is too weak: it needs at least {SECRET_KEY_MIN_LENGTH} characters, "
        f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} of them different, and not Django's "
        f"'{SECRET_KEY_INSECURE_PREFIX}' prefix; use the output of "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )
if not os.environ.get("DATABASE_URL", "").strip():
    _problems.append(
        "DATABASE_URL is not set: production needs the database's URL, "
        "e.g. postgres://user:password@127.0.0.1:5432/reform_tracker."
    )
if not ALLOWED_HOSTS:  # noqa: F405
    _problems.append(
        "ALLOWED_HOSTS is not set: list the host names the site answers to, comma-separated, "
        "e.g. ALLOWED_HOSTS=tracker.example.org."
    )
if _problems:
    raise ImproperlyConfigured("\n".join(_problems))

# Hashed, compressed static files (collectstatic writes the manifest; `make serve` runs it).
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# HTTPS. The web server listens on the loopback behind a TLS-terminating proxy that sets
# X-Forwarded-Proto. SECURE_SSL_REDIRECT=0 serves plain HTTP (a local load test).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)  # a year; 0 sends no HSTS
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")  # https://… origins, if a proxy rewrites
# Behind that proxy every request comes from the loopback: the API's throttle and the sign-in
# lockout count the client the proxy names last in X-Forwarded-For (API_NUM_PROXIES proxies), or
# all clients would share one allowance and one lockout.
REST_FRAMEWORK = {**REST_FRAMEWORK, "NUM_PROXIES": env_int("API_NUM_PROXIES", 1)}  # noqa: F405
# ...but only from a proxy: the header is believed when the connection comes from one of
# TRUSTED_PROXIES. Unset, that is the loopback while the web server listens only there (nothing
# else can connect), and nobody once BIND opens it to other machines, which could write any header.
LOOPBACK_PROXIES = ["127.0.0.1", "::1"]
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
if not TRUSTED_PROXIES and bind_is_loopback(os.environ.get("BIND", "")):
    TRUSTED_PROXIES = LOOPBACK_PROXIES
