"""What one answer from the page cache costs, one request at a time in one process.

Each address given (default `/reforms/`) is answered through Django's WSGI handler, as the web
server calls it, first computed (the page cache off: the same run's baseline) and then from the
cache, and the cache's two round trips are timed on their own: the content marker's query
(institute/listings/generation.py) and the read of the kept answer (the shared cache). Mean
microseconds over `--repeat` requests after 200 unmeasured ones; figures only.

The database and the cache are the settings' (DATABASE_URL, CACHE_URL, .env: as for `make
serve`); the content must be there (`make content`):

    .venv/bin/python benchmarks/bench_cached_answer.py /reforms/ '/reforms/?area=economy'
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "institute.settings.production")

from institute.envfile import load_env_file  # noqa: E402

load_env_file()

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest  # noqa: E402

from institute import page_cache  # noqa: E402
from institute.listings.generation import content_marker  # noqa: E402

HANDLER = WSGIHandler()
# What the requests accept (--accept-encoding): identity unless told, as benchmarks/load.py.
ACCEPT_ENCODING = ["identity"]


def environ(address: str) -> dict:
    path, _, query = address.partition("?")
    host = settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "127.0.0.1"
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": host,
        "SERVER_PORT": "443",
        "HTTP_HOST": host,
        "HTTP_X_FORWARDED_PROTO": "https",
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(b""),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_ACCEPT_ENCODING": ACCEPT_ENCODING[0],
    }


def answer(address: str) -> str:
    """The whole answer, as a server sends it; its X-Page-Cache state ("" when not cached)."""
    sent = {}

    def start_response(status, headers, exc_info=None):
        sent.update(status=status, headers=dict(headers))

    body = HANDLER(environ(address), start_response)
    for _ in body:
        pass
    body.close()
    if not sent["status"].startswith("200"):
        raise SystemExit(f"{address}: {sent['status']}")
    return sent["headers"].get(page_cache.STATE_HEADER, "")


def mean_us(work, repeat: int) -> float:
    for _ in range(200):
        work()
    start = time.perf_counter()
    for _ in range(repeat):
        work()
    return (time.perf_counter() - start) / repeat * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("addresses", nargs="*", default=["/reforms/"])
    parser.add_argument("--repeat", type=int, default=3000)
    parser.add_argument(
        "--accept-encoding",
        default="identity",
        help="the Accept-Encoding sent; 'gzip' as a browser does (a kept page's compressed body)",
    )
    args = parser.parse_args()
    ACCEPT_ENCODING[0] = args.accept_encoding
    print(
        f"database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, cache "
        f"{settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}; Accept-Encoding "
        f"{args.accept_encoding}; mean µs a request"
    )
    for address in args.addresses:
        settings.PAGE_CACHE = False
        computed = mean_us(partial(answer, address), max(args.repeat // 10, 50))
        settings.PAGE_CACHE = True
        answer(address)
        if answer(address) != page_cache.HIT:
            raise SystemExit(f"{address}: not answered from the cache")
        cached = mean_us(partial(answer, address), args.repeat)
        key = page_cache.address_key(WSGIRequest(environ(address)))
        marker = mean_us(content_marker, args.repeat)
        read = mean_us(partial(cache.get, key), args.repeat)
        print(
            f"{address}: computed (baseline) {computed:,.0f}; from the cache {cached:,.0f}, of "
            f"which the content marker's query {marker:,.0f} and the cache's read {read:,.0f}"
        )


if __name__ == "__main__":
    main()
