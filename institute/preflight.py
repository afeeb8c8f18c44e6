"""`python -m institute.preflight`: the first step of `make serve`.

Loads the production settings, checks the web server's own (institute/web_server.py) and that
the database answers, runs Django's deployment checks, and says whose X-Forwarded-For the API's
throttle and the sign-in lockout believe. A missing or wrong setting is printed as one line per
problem, without a traceback, and the exit status is 2; deployment warnings are printed and do
not stop the start. SQLite is allowed, with a warning.
"""

import os
import sys

import django
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import DatabaseError, connection

from institute import web_server
from institute.client_address import proxy_count
from institute.envfile import load_env_file

EXIT_MISCONFIGURED = 2


def fail(message: str) -> int:
    for line in message.strip().splitlines():
        print(line, file=sys.stderr)
    return EXIT_MISCONFIGURED


def trusted_proxies_summary() -> str:
    """One line: which connections may name the client (X-Forwarded-For), so an operator sees
    whether clients behind the proxy are told apart, or whether the header is ignored."""
    if settings.TRUSTED_PROXIES:
        proxies = ", ".join(settings.TRUSTED_PROXIES)
        return (
            f"Client addresses: X-Forwarded-For is believed from {proxies} (TRUSTED_PROXIES; the "
            f"client is number {proxy_count()} from its right, API_NUM_PROXIES) and ignored from "
            "anyone else."
        )
    return (
        "Client addresses: X-Forwarded-For is ignored (TRUSTED_PROXIES is empty): every client is "
        "counted by the address it connects from, so behind a proxy all share the proxy's. Set "
        "TRUSTED_PROXIES to the proxy's address."
    )


def main() -> int:
    try:
        load_env_file()
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "institute.settings.production")
        django.setup()
    except (ImproperlyConfigured, ValueError) as exc:  # dj-database-url raises ValueError
        return fail(str(exc))
    try:
        web_server.server(os.environ)  # built, not started: BIND and the like refused here
    except web_server.ConfigurationError as exc:
        return fail(str(exc))

    print(trusted_proxies_summary())
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        print(
            f"Warning: DATABASE_URL is SQLite ({database['NAME']}). That works for a trial, but "
            "PostgreSQL is the database of record: use it for a real deployment.",
            file=sys.stderr,
        )
    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return fail(f"DATABASE_URL: the database does not answer: {first_line}")
    finally:
        connection.close()

    try:
        call_command("check", deploy=True, fail_level="ERROR")
    except SystemCheckError as exc:
        return fail(str(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
