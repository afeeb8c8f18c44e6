"""Seed N published reforms and time the public listing, search, detail and exports.

Prints figures (p50/p95 in ms, query counts, rows/s, peak memory of an export); asserts nothing.
Runs against a throw-away test database of whatever DATABASE_URL names (PostgreSQL is the one
that matters): `make bench` or `DATABASE_URL=... .venv/bin/python benchmarks/bench_public.py 20000`.
"""

import os
import statistics
import sys
import time
import tracemalloc

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "institute.settings.test")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_databases,
    setup_test_environment,
    teardown_databases,
)
from django.utils import timezone  # noqa: E402

AREAS = ["economy", "human-rights", "political-participation", "justice-anti-corruption"]
STATUSES = ["announced", "adopted", "in-progress", "implemented", "stalled", "reversed"]
WORDS = [
    "reform",
    "law",
    "programme",
    "police",
    "court",
    "election",
    "parliament",
    "budget",
    "tenge",
    "agriculture",
    "media",
    "assembly",
    "corruption",
    "judge",
    "tax",
    "investment",
    "digital",
    "land",
    "akim",
    "council",
]


def seed(n: int) -> None:
    from institute.sources.models import Citation, Source
    from reforms.models import Reform, Topic

    now = timezone.now()
    source = Source.objects.create(
        slug="bench-report",
        title="Benchmark report",
        kind="report",
        review_state="published",
        published_at=now,
    )
    topics = [
        Topic.objects.create(slug=f"topic-{i}", name=f"Topic {i}", area=AREAS[i % 4])
        for i in range(20)
    ]
    batch = []
    for i in range(n):
        words = " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(12))
        batch.append(
            Reform(
                slug=f"reform-{i}",
                title=f"Reform {i}: {words[:60]}",
                summary=words * 3,
                area=AREAS[i % 4],
                status=STATUSES[i % len(STATUSES)],
                announced_on=f"{2000 + i % 22}-{1 + i % 12:02d}",
                first_date=f"{2000 + i % 22}",
                review_state="published",
                published_at=now,
            )
        )
    Reform.objects.bulk_create(batch, batch_size=1000)
    ids = list(Reform.objects.values_list("pk", flat=True))
    through = Reform.topics.through
    through.objects.bulk_create(
        [through(reform_id=pk, topic_id=topics[pk % 20].pk) for pk in ids], batch_size=2000
    )
    Citation.objects.bulk_create(
        [Citation(reform_id=pk, source=source, locator=f"p. {pk % 300}") for pk in ids],
        batch_size=2000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # bulk_create fires the trigger; analyse for plans
            cursor.execute("ANALYZE")


def timed(client: Client, url: str, repeat: int) -> tuple[float, float, int]:
    times, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(ctx.captured_queries)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], queries


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        start = time.perf_counter()
        seed(n)
        print(f"seeded {n} reforms in {time.perf_counter() - start:.1f}s on {connection.vendor}")
        client = Client()
        for label, url, repeat in [
            ("listing", "/reforms/", 20),
            ("listing page 50", "/reforms/?page=50", 20),
            ("listing filtered", "/reforms/?area=economy&status=adopted&year_from=2010", 20),
            ("search", "/reforms/?q=police+court", 20),
            ("search + filter", "/reforms/?q=tenge&area=human-rights&sort=title", 20),
            ("detail", "/reforms/reform-123/", 20),
        ]:
            p50, p95, queries = timed(client, url, repeat)
            print(f"{label:<18} p50={p50:7.1f}ms p95={p95:7.1f}ms queries={queries}")
        # Timed without tracemalloc (it slows Python several times); memory in a second pass.
        start = time.perf_counter()
        response = client.get("/reforms/export.csv")
        first, size = None, 0
        for chunk in response.streaming_content:
            if first is None:
                first = time.perf_counter() - start
            size += len(chunk)
        elapsed = time.perf_counter() - start
        tracemalloc.start()
        for _chunk in client.get("/reforms/export.csv").streaming_content:
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"export.csv         {n} rows in {elapsed:.2f}s = {n / elapsed:,.0f} rows/s, "
            f"{size / 1e6:.1f} MB, first byte {first * 1000:.0f}ms, peak Python memory "
            f"{peak / 1e6:.1f} MB"
        )
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
