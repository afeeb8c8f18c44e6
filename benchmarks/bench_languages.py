"""What a page costs in Russian and Kazakh beside the same page in English (the baseline, same
run): the demo content (`load_content`), the page cache off, each page requested N times in
turn. Prints the median and the slowest time and the query count of each. Asserts nothing.

    python benchmarks/bench_languages.py [N]   # default 30
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "institute.settings.test")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_databases,
    setup_test_environment,
    teardown_databases,
)

PAGES = [
    "/reforms/",
    "/reforms/?area=human-rights&sort=title",
    "/reforms/?q=police",
    "/reforms/zero-tolerance-policy-on-torture/",
    "/recommendations/",
    "/recommendations/west-prioritise-engagement-with-kazakhstan/",
    "/insights/",
]
SEARCHES = {"": "/reforms/?q=police", "/ru": "/reforms/?q=полиция", "/kk": "/reforms/?q=полиция"}


def measure(client: Client, url: str, runs: int) -> tuple[float, float, int]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, url
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(times), max(times), len(queries)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    settings.PAGE_CACHE = False
    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        call_command("load_content", verbosity=0)
        client = Client()
        print(
            f"pages in three languages, demo content, page cache off, {runs} runs each, "
            f"{connection.vendor}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}"
        )
        print(f"{'page':<58}{'lang':>5}{'median ms':>11}{'max ms':>9}{'queries':>9}")
        for page in PAGES:
            for prefix in ("", "/ru", "/kk"):
                url = prefix + (SEARCHES[prefix] if page == "/reforms/?q=police" else page)
                median, worst, queries = measure(client, url, runs)
                print(
                    f"{page:<58}{prefix.strip('/') or 'en':>5}{median:>11.1f}{worst:>9.1f}"
                    f"{queries:>9}"
                )
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
