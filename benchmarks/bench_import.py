"""Time CSV imports of N new reforms, the same file again (unchanged), and a file that edits 1%.

Prints rows/s and peak Python memory; asserts nothing. `make bench` runs it after
bench_public.py, against a throw-away test database of DATABASE_URL.
"""

import csv
import io
import os
import resource
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "institute.settings.test")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402

AREAS = ["economy", "human-rights", "political-participation", "justice-anti-corruption"]


def make_file(n: int, *, edit_every: int = 0) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["slug", "title", "summary", "area", "topics", "status", "announced_on", "sources"]
    )
    for i in range(n):
        title = f"Reform {i}" + (" (edited)" if edit_every and i % edit_every == 0 else "")
        writer.writerow(
            [
                f"reform-{i}",
                title,
                f"Summary of reform {i}. It has two sentences.",
                AREAS[i % 4],
                f"topic-{i % 20}",
                "adopted",
                f"{2000 + i % 22}",
                "bench-report",
            ]
        )
    return out.getvalue().encode()


def timed_import(data: bytes, label: str, n: int) -> None:
    from institute.datasets.importer import run_import

    # Timed without tracemalloc (it slows Python several times); memory is the process's peak.
    start = time.perf_counter()
    report = run_import(table="reforms", data=data, source_name=label)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        f"{label:<22} {n:,} rows in {elapsed:6.1f}s = {n / elapsed:7,.0f} rows/s, "
        f"peak process memory so far {peak / 1e6:6.1f} MB; {report.summary()}"
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        from institute.sources.models import Source
        from reforms.models import Topic

        Source.objects.create(slug="bench-report", title="Benchmark report", kind="report")
        for i in range(20):
            Topic.objects.create(slug=f"topic-{i}", name=f"Topic {i}", area=AREAS[i % 4])
        print(f"import on {connection.vendor}")
        timed_import(make_file(n), "new rows", n)
        timed_import(make_file(n), "same file again", n)
        timed_import(make_file(n, edit_every=100), "1% of rows edited", n)
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
