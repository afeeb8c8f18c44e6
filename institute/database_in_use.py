"""Which database a command is using, in one line, and where its address came from: the start
banner (`make run`) and `make demo-users` print it, so that accounts made in one database and a
server started on another are seen at once, not found out by a failed sign-in.

DATABASE_URL comes from the environment, from the `.env` file (institute/envfile.py: every
manage.py command and make target reads the same file), or nowhere, when development falls back
to SQLite (settings/base.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.db import connections

from institute.envfile import LOADED_FROM


def url_origin() -> str:
    """Where this process's DATABASE_URL came from, in words."""
    if "DATABASE_URL" in LOADED_FROM:
        return f"DATABASE_URL from {Path(LOADED_FROM['DATABASE_URL']).name}"
    if os.environ.get("DATABASE_URL"):
        return "DATABASE_URL from the environment"
    return "no DATABASE_URL: the development default"


def describe(alias: str = "default") -> str:
    """`PostgreSQL database "rt" on 127.0.0.1:5432 (DATABASE_URL from .env)`, or the SQLite file;
    never the password."""
    database = settings.DATABASES[alias]
    vendor = connections[alias].vendor
    if vendor == "sqlite":
        where = f"SQLite file {database['NAME']}"
    else:
        host = database.get("HOST") or "the local socket"
        port = f":{database['PORT']}" if database.get("PORT") else ""
        name = {"postgresql": "PostgreSQL"}.get(vendor, vendor)
        where = f'{name} database "{database["NAME"]}" on {host}{port}'
    return f"{where} ({url_origin()})"
