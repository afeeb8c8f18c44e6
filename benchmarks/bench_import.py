"""Import benchmark: realistic reforms (benchmarks/rows.py) through `manage.py import_reforms`,
fresh, unchanged and 1% edited, each beside same-run references: django-import-export's stock
ModelResource import of the same rows (the baseline), a bare COPY of them into text columns
(the file's own ceiling) and, after the fresh import, the rows it wrote written again by SQL
alone through the real tables (the ceiling of any engine writing what it writes).

Prints one table of figures, their targets (issue 11) and their ratio to the stock import in the
same run, so that a loaded machine shows as a ratio rather than as a false claim. Asserts
nothing. Each import of ours runs as its own process, so its peak memory (RSS) is its own.

    python benchmarks/bench_import.py [ROWS] [BASELINE_ROWS]   # defaults 100000 20000
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "institute.settings.test")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402

from benchmarks.rows import HEADER, reforms_csv, seed_vocabularies  # noqa: E402


def stock_import(data: bytes) -> float:
    """django-import-export's own ModelResource, topics by slug: rows/s. It has no notion of
    the citations (a child table), versions or review, so it does less than ours."""
    import tablib
    from import_export import fields, resources, widgets

    from reforms.models import Reform, Topic

    class StockReformResource(resources.ModelResource):
        topics = fields.Field(
            attribute="topics",
            column_name="topics",
            widget=widgets.ManyToManyWidget(Topic, ";", "slug"),
        )

        class Meta:
            model = Reform
            import_id_fields = ["slug"]
            fields = [h for h in HEADER if h not in ("sources", "responds_to", "url")]

    dataset = tablib.Dataset().load(data.decode(), format="csv")
    start = time.perf_counter()
    result = StockReformResource().import_data(dataset, raise_errors=True)
    elapsed = time.perf_counter() - start
    assert result.totals["new"] == len(dataset), result.totals
    return len(dataset) / elapsed


def bare_copy(data: bytes) -> float:
    """PostgreSQL's COPY of the same file into a table of text columns: rows/s."""
    rows = data.count(b"\r\n") - 1
    columns = ", ".join(f'"{h}" text' for h in HEADER)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE bench_bare ({columns})")
        start = time.perf_counter()
        with cursor.cursor.copy("COPY bench_bare FROM STDIN (FORMAT csv, HEADER true)") as copy:
            for at in range(0, len(data), 1 << 20):
                copy.write(data[at : at + (1 << 20)])
        elapsed = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_bare")
    return rows / elapsed


# What the import writes for new reforms, table by table, in its order (links and children
# before the rows, whose keys come from their sequence first; the versions last): each row's
# key column and the column naming its reform.
WRITTEN = [
    ("reforms_reform_topics", "id", "reform_id", ""),
    ("reforms_secondaryarea", "id", "reform_id", ""),
    ("institute_citation", "id", "reform_id", "reform_id IS NOT NULL"),
    ("recommendations_response", "id", "reform_id", ""),
    ("reforms_reform", "id", "id", ""),
    ("institute_entryversion", "id", "object_id", "content_type_id = %(reform_type)s"),
]


def sql_alone(rows: int, *, without: tuple[str, ...] = ()) -> dict[str, float]:
    """The reforms the fresh import wrote, written again by the database alone: each table's
    rows copied aside with new keys (and slugs), then inserted in the import's order by
    `INSERT … SELECT`, through every trigger, index and check, the deferred keys checked at the
    end, all rolled back. No Python and no parsing: the ceiling of any engine that writes what
    the import writes, on this machine and schema. `without` names triggers of the reforms'
    table turned off inside the rolled-back transaction, to price them. Seconds: each table's
    insert, "keys" (the deferred foreign keys' check) and "total"."""
    from institute.editorial.versions import content_type_of
    from reforms.models import Reform

    shift = 1_000_000_000
    params = {"reform_type": content_type_of(Reform).pk}
    seconds: dict[str, float] = {}
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        try:
            for table, key, owner, where in WRITTEN:
                cursor.execute(
                    f"CREATE TEMP TABLE bench_{table} AS SELECT * FROM {table}"
                    + (f" WHERE {where}" if where else ""),
                    params,
                )
                moved = {key, owner}
                cursor.execute(
                    f"UPDATE bench_{table} SET "
                    + ", ".join(f"{c} = {c} + {shift}" for c in sorted(moved))
                    + (", slug = slug || '-sql'" if table == "reforms_reform" else "")
                )
                cursor.execute(f"ANALYZE bench_{table}")
            for trigger in without:
                cursor.execute(f"ALTER TABLE reforms_reform DISABLE TRIGGER {trigger}")
            start = time.perf_counter()
            for table, *_ in WRITTEN:
                began = time.perf_counter()
                cursor.execute(f"INSERT INTO {table} SELECT * FROM bench_{table}")
                seconds[table] = time.perf_counter() - began
            began = time.perf_counter()
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            seconds["keys"] = time.perf_counter() - began
            seconds["total"] = time.perf_counter() - start
        finally:
            cursor.execute("ROLLBACK")
    return seconds


# The reforms' row trigger that writes their link cells (reforms/0022, 0025): what the exports'
# plain scan (issue 24, section 3) costs a new reform.
LINK_CELLS_TRIGGER = "reforms_reform_export_links"


# Starts the import and reports its peak RSS. On Linux a child's ru_maxrss starts from the
# memory of the process it was spawned from (kept across fork or vfork and exec), so an import
# spawned by this benchmark, which holds the files and the stock import's rows, would report
# this process's peak whenever its own is smaller: the import is spawned by this small helper.
MEASURE = """
import os, subprocess, sys
process = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(process.pid, 0)
sys.stderr.write(f"\\npeak-rss-kb {usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def our_import(data: bytes, database_url: str, **settings: str) -> tuple[float, float, str]:
    """`manage.py import_reforms` in its own process, `settings` in its environment: (rows/s,
    peak RSS in MB, its summary, which ends with its own rate: the process's less its start)."""
    rows = data.count(b"\r\n") - 1
    with (
        tempfile.NamedTemporaryFile(suffix=".csv") as file,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        file.write(data)
        file.flush()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "institute.settings.local",
            **settings,
        }
        start = time.perf_counter()
        returncode = subprocess.call(
            [
                sys.executable,
                "-c",
                MEASURE,
                sys.executable,
                "manage.py",
                "import_reforms",
                file.name,
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
        elapsed = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        errors = err.read().decode()
        if returncode != 0:
            raise SystemExit(f"import_reforms failed:\n{errors}")
        peak_kb = int(errors.rsplit("peak-rss-kb ", 1)[1].split()[0])
        summary = out.read().decode().strip().splitlines()[-1]
    return rows / elapsed, peak_kb / 1024, summary


def report_sql_alone(rows: int, stock: float) -> None:
    """The SQL-alone ceiling, where its time goes, and what it would be without the link
    cells' trigger and without the keys' check: what a fresh import's target asks of the
    database (benchmarks/README.md, "What misses")."""
    every = sql_alone(rows)
    cells_off = sql_alone(rows, without=(LINK_CELLS_TRIGGER,))
    floor = rows / every["total"]
    print(
        f"{'the same rows by SQL alone (ceiling)':<40}{floor:>10,.0f}{'':>10}{floor / stock:>9.1f}"
    )
    links = sum(
        seconds
        for table, seconds in every.items()
        if table not in ("reforms_reform", "institute_entryversion", "keys", "total")
    )
    print(
        f"{'':<40}  of its {every['total']:.1f} s: the reforms {every['reforms_reform']:.1f} s, "
        f"their links and children {links:.1f} s, "
        f"versions {every['institute_entryversion']:.1f} s, "
        f"the deferred foreign keys' check {every['keys']:.1f} s"
    )
    trigger = every["total"] - cells_off["total"]
    print(
        f"{'':<40}  without the link cells' trigger: {rows / cells_off['total']:,.0f} rows/s "
        f"(the trigger {trigger:.1f} s); without it and the keys' check: "
        f"{rows / (cells_off['total'] - cells_off['keys']):,.0f} rows/s"
    )


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    baseline_rows = int(sys.argv[2]) if len(sys.argv) > 2 else min(rows, 20_000)
    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        settings = connection.settings_dict
        database_url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
        seed_vocabularies()
        # The stock run writes its own reforms; they are deleted before ours.
        stock = stock_import(reforms_csv(baseline_rows, start=10_000_000))
        from reforms.models import Reform

        Reform.objects.all().delete()
        data = reforms_csv(rows)
        ceiling = bare_copy(data)
        print(
            f"import of {rows:,} realistic reforms ({len(data) / rows:.0f} bytes a row) on "
            f"PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} cores, "
            f"{time.strftime('%Y-%m-%d')}"
        )
        print(f"{'case':<40}{'rows/s':>10}{'target':>10}{'x stock':>9}{'peak RSS':>11}")
        print(
            f"{'stock ModelResource, ' + format(baseline_rows, ',') + ' rows':<40}"
            f"{stock:>10,.0f}{'':>10}{1:>9.1f}{'':>11}"
        )
        print(f"{'bare COPY (ceiling)':<40}{ceiling:>10,.0f}{'':>10}{ceiling / stock:>9.1f}")
        # The same file again twice: as the import runs it (unchanged rows vouched for by the
        # database, institute.datasets.unchanged), then row by row (its same-run baseline).
        for label, file, target, settings in [
            ("ours: fresh", data, 12_000, {}),
            ("ours: same file again", data, 40_000, {}),
            ("ours: same file again, row by row", data, None, {"IMPORT_UNCHANGED_BY_SQL": "0"}),
            ("ours: 1% of rows edited", reforms_csv(rows, edit_every=100), None, {}),
        ]:
            rate, rss, summary = our_import(file, database_url, **settings)
            print(
                f"{label:<40}{rate:>10,.0f}{format(target, ',') if target else '':>10}"
                f"{rate / stock:>9.1f}{rss:>8.0f} MB   {summary[:60]}"
            )
            print(f"{'':<40}  the command's own rate: {summary.rsplit('(', 1)[-1].rstrip(').')}")
            if label == "ours: fresh":
                report_sql_alone(rows, stock)
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
