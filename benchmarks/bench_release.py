"""Release benchmark: N published reforms (benchmarks/seed.py), cut as a release (every table as
CSV, JSON and XLSX, the package and its checksums, written to the `datasets` storage), beside the
same-run baseline: today's `/data/reforms.csv` of the same rows, and `/data/package.zip` (every
table's CSV, zipped).

Prints seconds and each case's peak RSS above the RSS it started at (Linux's VmHWM, reset
before each case), and the largest peak RSS of the processes that write the release's JSON and XLSX:
memory must stay flat however many rows.
Asserts nothing. PostgreSQL only (the seeder writes by COPY).

    python benchmarks/bench_release.py [ROWS]   # default 100000
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "institute.settings.test")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402


def memory_mb(field: str) -> float:
    """A figure of /proc/self/status in MB: VmRSS (now) or VmHWM (the peak since reset_peak)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def reset_peak() -> None:
    """Start VmHWM again from the current RSS (Linux: `5` to clear_refs), so that each case's
    peak is its own, not the seeding's."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def timed(work) -> tuple[float, float]:
    """(seconds, peak RSS above the RSS at the start, in MB) of `work()`."""
    reset_peak()
    before = memory_mb("VmRSS")
    start = time.perf_counter()
    work()
    return time.perf_counter() - start, memory_mb("VmHWM") - before


def download(client: Client, url: str) -> int:
    response = client.get(url)
    body = response.streaming_content if response.streaming else [response.content]
    return sum(len(chunk) for chunk in body)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        from benchmarks.seed import seed
        from institute.datasets.releases import release_create

        start = time.perf_counter()
        seed(rows)
        print(
            f"release of {rows:,} published reforms (seeded in {time.perf_counter() - start:.0f} s)"
            f" on PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} cores, "
            f"{time.strftime('%Y-%m-%d')}"
        )
        client = Client()
        cases = [
            ("baseline: /data/reforms.csv", lambda: download(client, "/data/reforms.csv")),
            (
                "baseline: /data/package.zip (CSV only)",
                lambda: download(client, "/data/package.zip"),
            ),
            (
                "release create (CSV, JSON, XLSX, zip)",
                lambda: release_create(
                    label="bench", notes="Benchmark.", by=None, base_url="http://bench/"
                ),
            ),
        ]
        print(f"{'case':<42}{'seconds':>10}{'peak RSS +':>12}")
        for label, work in cases:
            seconds, growth = timed(work)
            print(f"{label:<42}{seconds:>10.1f}{growth:>9.0f} MB")
        # The release's helper processes (its JSON and XLSX), ended with the release: the
        # largest one's peak, Django and all.
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"{'  its helper processes, largest peak RSS':<42}{'':>10}{child:>9.0f} MB")
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
