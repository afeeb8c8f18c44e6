"""Ten visitors at once after a publish, through a running server (issue 24, section 2).

    make serve                      # in one terminal; DATABASE_URL names its database
    DATABASE_URL=postgres://… .venv/bin/python benchmarks/after_publish.py

For each address (by default the listing cases of `bench_listings.py`): the address asked until
the page cache answers it from its entry (X-Page-Cache: hit), then a write to the reforms table
that changes nothing a visitor sees (what a publish is to the caches), then `--visitors`
requests at once, `--rounds` times. Prints p50 / p95 / max of their times in ms and how the
page cache answered them (miss: computed for that request; stale: the answer from before the
write). Figures only.

`bench_listings.py` measures the same in its own process, beside the page cache off; this asks
the site's own server (`make serve`: its workers, Redis where `CACHE_URL` says so), so run it
once for each setting to compare, e.g. the server started with
`PAGE_CACHE_STALE_AFTER_SECONDS=off` (the visitor who recomputes waits for it whole) and with
the default. Requests say `Accept-Encoding: gzip`, as a browser's do. Stdlib and psycopg only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg

CASES = [
    "/reforms/",
    "/reforms/?area=economy&topic=topic-4",
    "/reforms/?q=police+court",
    "/reforms/?q=tenge&area=human-rights",
    "/reforms/?page=50",
    "/insights/",
]
# The same write as bench_listings.invalidate(): one reform's title set to itself.
WRITE = "UPDATE reforms_reform SET title = title WHERE id = (SELECT min(id) FROM reforms_reform)"


def get(base: str, address: str) -> tuple[float, str]:
    """The whole answer's time in ms and its X-Page-Cache."""
    request = urllib.request.Request(base + address, headers={"Accept-Encoding": "gzip"})
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        response.read()
        state = response.headers.get("X-Page-Cache") or "none"
    return (time.perf_counter() - began) * 1000, state


def kept(base: str, address: str, timeout: float = 300) -> None:
    """Ask until the page cache answers from its entry: the previous round's recomputation has
    ended and been kept."""
    deadline = time.monotonic() + timeout
    while get(base, address)[1] != "hit":
        if time.monotonic() > deadline:
            raise SystemExit(f"{address}: never answered from the page cache (is PAGE_CACHE on?)")
        time.sleep(0.2)


def p95(times: list[float]) -> float:
    """As bench_listings.pctl: the value at 95 % of the sorted times."""
    return sorted(times)[max(0, int(round(len(times) * 0.95)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("addresses", nargs="*", default=CASES)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--visitors", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith("postgres"):
        raise SystemExit("DATABASE_URL must name the server's PostgreSQL database")
    print(f"{args.visitors} visitors at once after a write, {args.rounds} rounds (ms):")
    with psycopg.connect(database, autocommit=True) as connection:
        for address in args.addresses:
            times, states = [], Counter()
            for _ in range(args.rounds):
                kept(args.base_url, address)
                connection.execute(WRITE)
                start = threading.Barrier(args.visitors)

                def visit(_, address=address, start=start) -> tuple[float, str]:
                    start.wait()
                    return get(args.base_url, address)

                with ThreadPoolExecutor(args.visitors) as pool:
                    for elapsed, state in pool.map(visit, range(args.visitors)):
                        times.append(elapsed)
                        states[state] += 1
            said = ", ".join(f"{k} {v}" for k, v in sorted(states.items()))
            print(
                f"  {address:<40} p50 {statistics.median(times):7.0f}  p95 {p95(times):7.0f}"
                f"  max {max(times):7.0f}  ({said})",
                flush=True,
            )


if __name__ == "__main__":
    main()
