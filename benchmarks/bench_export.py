"""Export benchmark: N published reforms (benchmarks/seed.py) through the public CSV exports,
beside same-run references: the Python row writer and django-import-export's stock export on the
first BASELINE_ROWS rows (the baselines), and a bare `COPY (SELECT ...) TO STDOUT` of the
reforms' columns (the ceiling).

Also the reforms' CSV query as it was before the link cells were kept on the row (reforms/0022:
four subqueries a row), run by COPY to nothing in the same run, beside the same COPY of today's
query: the database's own time, without Python or HTTP.

Prints rows/s, first byte and peak memory growth of each, with the targets of issue 24 and the
ratio to the stock export. Asserts nothing. PostgreSQL only (the seeder writes by COPY).
`--keep` keeps the test database (`test_<name>`) and seeds it only if it does not already
hold ROWS reforms, so that the 1M case can be run again without seeding for six minutes.
`--filtered` times only the filtered exports (FILTERED), each REPEAT times, and prints the
fastest and the median run: what a change to the listing's filters moves, without the whole
tables' ten minutes. A filtered export's rows are counted by the listing's own filter, as its
file holds them (a reform filed under the area as a secondary one too).

    python benchmarks/bench_export.py [ROWS] [BASELINE_ROWS] [--keep] [--filtered]
"""

from __future__ import annotations

import dataclasses
import os
import resource
import statistics
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


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_download(client: Client, url: str) -> tuple[float, float, int, float]:
    """(seconds, seconds to the first row, bytes, growth of peak RSS in MB). The first row, not
    the first byte: a CSV's header leaves before its query has run."""
    before = peak_rss_mb()
    start = time.perf_counter()
    response = client.get(url)
    first, size = None, 0
    for n, chunk in enumerate(response.streaming_content):
        size += len(chunk)
        if first is None and (n == 1 or url.endswith(".zip")):
            first = time.perf_counter() - start
    return time.perf_counter() - start, first or 0.0, size, peak_rss_mb() - before


# The filtered exports: (label, query string). Two filters, one area, a search with an area.
FILTERED = [
    ("two filters", "area=economy&status=adopted"),
    ("one area", "area=economy"),
    ("a search and an area", "q=tenge&area=human-rights"),
]
REPEAT = 3


def filtered_rows(query: str) -> int:
    """How many rows the filtered export of `query` holds: the listing's own count."""
    from django.http import QueryDict

    from reforms.selectors import reform_filter_public

    return reform_filter_public(params=QueryDict(query)).qs.count()


def time_filtered(client: Client) -> None:
    """Each of FILTERED through /reforms/export.csv, REPEAT times: rows/s of the fastest and the
    median run, the first row's median time."""
    print(f"{'filtered export':<28}{'rows':>9}{'fastest':>10}{'median':>10}{'1st row':>10}")
    for label, query in FILTERED:
        count = filtered_rows(query)
        runs = [timed_download(client, f"/reforms/export.csv?{query}") for _ in range(REPEAT)]
        seconds = sorted(run[0] for run in runs)
        first = statistics.median(run[1] for run in runs)
        print(
            f"{label:<28}{count:>9,}{count / seconds[0]:>10,.0f}"
            f"{count / statistics.median(seconds):>10,.0f}{first * 1000:>7.0f} ms",
            flush=True,
        )


def python_writer(rows: int) -> float:
    """The Python row writer (what SQLite, JSON and XLSX use) on the first `rows`: rows/s."""
    from institute.datasets.export import csv_lines
    from institute.datasets.tables import TABLES, table_rows

    table = TABLES["reforms"]
    queryset = table.prepare(table.queryset()[:rows])
    start = time.perf_counter()
    for _ in csv_lines(table, table_rows(table, queryset, base_url="http://bench/")):
        pass
    return rows / (time.perf_counter() - start)


def stock_export(rows: int) -> float:
    """django-import-export's stock ModelResource export of the first `rows`: rows/s."""
    from import_export import resources

    from reforms.models import Reform

    class StockReformResource(resources.ModelResource):
        class Meta:
            model = Reform
            fields = ["slug", "title", "summary", "area", "topics", "status", "announced_on"]

    queryset = Reform.objects.published().order_by("slug")[:rows]
    start = time.perf_counter()
    StockReformResource().export(queryset).csv  # noqa: B018 -- builds the file
    return rows / (time.perf_counter() - start)


def bare_copy() -> tuple[float, int]:
    """COPY of the reforms' own columns, no links: (seconds, rows)."""
    with connection.cursor() as cursor:
        start, rows = time.perf_counter(), 0
        sql = (
            "COPY (SELECT slug, title, summary, area, status, announced_on, adopted_on, "
            "effective_on, initiated_by, body, initiated_by_detail FROM reforms_reform "
            "ORDER BY slug) TO STDOUT (FORMAT csv)"
        )
        with cursor.cursor.copy(sql) as copy:
            for data in copy:
                rows += bytes(data).count(b"\n")
        return time.perf_counter() - start, rows


def csv_query(*, before: bool) -> tuple[str, list]:
    """The SQL of /data/reforms.csv's cells (institute.datasets.export.sql_csv_cells); `before`,
    with the link cells worked out by a subquery each, as before reforms/0022 kept them."""
    from institute.datasets.export import cells_query
    from institute.datasets.tables import TABLES, slugs_sql
    from institute.sources.models import Citation
    from reforms.models import Reform, Response

    table = TABLES["reforms"]
    if before:
        subqueries = {
            "topics": slugs_sql(Reform.topics.through, "reform", "topic"),
            "sources": slugs_sql(Citation, "reform", "source", published=True, distinct=True),
            "responds_to": slugs_sql(
                Response, "reform", "recommendation", published=True, code_point_order=False
            ),
            "secondary_areas": lambda t, base_url: (
                '(SELECT coalesce(string_agg(s."area", \';\' ORDER BY s."area" COLLATE "C"), '
                f'\'\') FROM reforms_secondaryarea s WHERE s."reform_id" = {t}."id")',
                [],
            ),
        }
        columns = [
            dataclasses.replace(c, sql=subqueries[c.name]) if c.name in subqueries else c
            for c in table.columns
        ]
        table = dataclasses.replace(table, columns=columns)
    return cells_query(table, table.queryset(), base_url="http://bench/", csv=True)


def copy_to_nothing(sql: str, params: list) -> tuple[float, int]:
    """COPY (sql) TO STDOUT in CSV, read and dropped: (seconds, rows)."""
    with connection.cursor() as cursor:
        start, rows = time.perf_counter(), 0
        with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
            for _data in copy:
                rows += 1
        return time.perf_counter() - start, rows


def main() -> None:
    keep = "--keep" in sys.argv
    filtered = "--filtered" in sys.argv
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    rows = int(args[0]) if args else 1_000_000
    baseline_rows = int(args[1]) if len(args) > 1 else min(rows, 20_000)
    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False, keepdb=keep, serialized_aliases=set())
    try:
        from benchmarks.seed import seed
        from reforms.models import Reform

        start = time.perf_counter()
        if not keep or Reform.objects.count() != rows:
            seed(rows)
        print(
            f"export of {rows:,} published reforms (seeded in {time.perf_counter() - start:.0f} s) "
            f"on PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} cores, "
            f"{time.strftime('%Y-%m-%d')}"
        )
        if filtered:
            time_filtered(Client())
            return
        stock = stock_export(baseline_rows)
        python = python_writer(baseline_rows)
        seconds, copied = bare_copy()

        def line(label, rate="", target="", ratio="", first="", growth=""):
            print(f"{label:<40}{rate:>12}{target:>10}{ratio:>9}{first:>10}{growth:>9}", flush=True)

        line("case", "rows/s", "target", "x stock", "1st row", "RSS +")
        line(f"stock ModelResource, {baseline_rows:,} rows", f"{stock:,.0f}", "", "1.0")
        line(
            f"Python row writer, {baseline_rows:,} rows",
            f"{python:,.0f}",
            "",
            f"{python / stock:.1f}",
        )
        ceiling = copied / seconds
        line("bare COPY, own columns (ceiling)", f"{ceiling:,.0f}", "", f"{ceiling / stock:.1f}")
        for label, before in (
            ("COPY, link cells by subquery (before)", True),
            ("COPY, link cells kept on the row", False),
        ):
            seconds, copied = copy_to_nothing(*csv_query(before=before))
            line(label, f"{copied / seconds:,.0f}", "", f"{copied / seconds / stock:.1f}")
        client = Client()
        for label, url, count in [
            ("/reforms/export.csv", "/reforms/export.csv", rows),
            ("/data/reforms.csv (streamed)", "/data/reforms.csv", rows),
            ("/data/reforms.json (streamed)", "/data/reforms.json", rows),
            (
                "/reforms/export.csv, two filters",
                f"/reforms/export.csv?{FILTERED[0][1]}",
                filtered_rows(FILTERED[0][1]),
            ),
        ]:
            seconds, first, size, growth = timed_download(client, url)
            rate = count / seconds
            line(
                label,
                f"{rate:,.0f}",
                "100,000",
                f"{rate / stock:.1f}",
                f"{first * 1000:.0f} ms",
                f"{growth:.0f} MB",
            )
        # The data package after a change, as the site makes it: the worker's pass builds it
        # (what a visitor's first request waited for before it was the worker's), while /data/
        # says it is being made; then the file is served.
        from django.test.utils import override_settings
        from django.utils import timezone

        from institute.datasets.finished_files import build, prebuild

        with override_settings(SITE_URL="http://testserver"):
            Reform.objects.filter(slug="reform-7").update(updated_at=timezone.now())
            start = time.perf_counter()
            page = client.get("/data/")
            waited = time.perf_counter() - start
            said = "being made" if b"package-being-made" in page.content else "built it"
            line(f"/data/ after a change ({said})", f"{waited * 1000:.0f} ms")
            package = client.get("/data/package.zip")
            line("/data/package.zip then", f"HTTP {package.status_code}")
            # The pass in its two steps, timed apart: the package with the tables' CSVs (placed
            # first), then each table's JSON and workbook (what prebuild() does in one call).
            start = time.perf_counter()
            build(base_url="http://testserver/", whole=False)
            line("the worker's pass: package and CSVs", f"{time.perf_counter() - start:.1f} s")
            start = time.perf_counter()
            prebuild()
            line("the worker's pass: JSON, workbooks", f"{time.perf_counter() - start:.1f} s")
            seconds, first, size, growth = timed_download(client, "/data/package.zip")
            line(
                "/data/package.zip after it",
                f"{seconds:.1f} s",
                "",
                "",
                f"{first * 1000:.0f} ms",
                f"{growth:.0f} MB",
            )
            # The tables' files the same pass made: sent as they are (the streamed figures above,
            # the same bytes, are their baseline).
            for url in ("/data/reforms.csv", "/data/reforms.json"):
                seconds, first, size, growth = timed_download(client, url)
                rate = rows / seconds
                line(
                    f"{url} (the worker's file)",
                    f"{rate:,.0f}",
                    "100,000",
                    f"{rate / stock:.1f}",
                    f"{first * 1000:.0f} ms",
                    f"{growth:.0f} MB",
                )
    finally:
        if not keep:
            teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
