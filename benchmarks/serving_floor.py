"""The floor under `make load`'s figures: the same server, answering bytes it already holds.

A WSGI application for the web server that answers every request with bytes read once, at its start,
from a running site (the home page, `/data/reforms.csv` and `/data/recommendations.csv`, which
`benchmarks/load.py` reads first, and `/reforms/` for every other address), optionally after
the round trips a cached answer of the page cache makes (institute/page_cache.py): the content
marker's query to PostgreSQL (`database`) and one read of a page-sized value from Redis
(`cache`). Nothing of Django answers a request (it is set up only to give the marker's
statement as the site sends it). Served by the project's own web server
(institute/web_server.py) and loaded by the same `load.py`, it shows what this machine gives the
design before any of the site's code: the gap between its figures and the site's is the site's
own cost.

    make serve                                     # the site, on 8000, with its content
    FLOOR_SITE=http://127.0.0.1:8000 FLOOR_ROUND_TRIPS=database,cache PORT=8002 \\
        .venv/bin/python -m institute.web_server benchmarks.serving_floor:application
    make load PORT=8002 LOAD_ARGS="--concurrency 50 --requests 5000 --passes 2"

FLOOR_ROUND_TRIPS is a comma-separated subset of `database,cache` (empty: none). The database
is DATABASE_URL's (PostgreSQL), the cache CACHE_URL's (Redis), as for the site; each of the
server's threads keeps one connection to each.
"""

from __future__ import annotations

import os
import sys
import threading
import urllib.request
from pathlib import Path

import psycopg
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "institute.settings.production")

from institute.envfile import load_env_file  # noqa: E402

load_env_file()

import django  # noqa: E402

django.setup()  # for the marker's query only: nothing of Django answers a request

from institute.listings.generation import marker_sql  # noqa: E402

SITE = os.environ.get("FLOOR_SITE", "http://127.0.0.1:8000").rstrip("/")
ROUND_TRIPS = {name for name in os.environ.get("FLOOR_ROUND_TRIPS", "").split(",") if name}
if ROUND_TRIPS - {"database", "cache"}:
    raise SystemExit(f"FLOOR_ROUND_TRIPS: unknown {sorted(ROUND_TRIPS - {'database', 'cache'})}")
MARKER_SQL = marker_sql()  # the content marker's statement, as the site sends it
CACHE_KEY = "serving-floor:page"


def _read(path: str) -> bytes:
    with urllib.request.urlopen(SITE + path, timeout=60) as response:
        return response.read()


ANSWERS = {path: _read(path) for path in ("/", "/data/reforms.csv", "/data/recommendations.csv")}
PAGE = _read("/reforms/")
_connections = threading.local()


def _round_trips() -> None:
    if "database" in ROUND_TRIPS:
        if not hasattr(_connections, "database"):
            url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
            _connections.database = psycopg.connect(url, autocommit=True)
        _connections.database.execute(MARKER_SQL).fetchone()
    if "cache" in ROUND_TRIPS:
        if not hasattr(_connections, "cache"):
            _connections.cache = redis.Redis.from_url(os.environ["CACHE_URL"])
            _connections.cache.set(CACHE_KEY, PAGE)
        _connections.cache.get(CACHE_KEY)


def application(environ, start_response):
    _round_trips()
    body = ANSWERS.get(environ["PATH_INFO"], PAGE)
    start_response(
        "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]
