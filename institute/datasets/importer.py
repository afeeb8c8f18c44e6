"""CSV import of the dataset tables: upsert by natural key, all or nothing, every problem named.

The file is read (parse), checked whole (clean) and planned (plan, plan_links) before anything
is written (apply): one invalid row and nothing changes, and the report lists every bad row with
its line, column, value and reason. A row whose key exists updates that entry (a published
entry gets a working copy for review, not a live change); an identical row is reported
unchanged and not written; a new row lands as a draft.

The columns are those of institute.datasets.tables.TABLES: what the exports write, this reads.
"""

from __future__ import annotations

import csv
import gc
import io
from contextlib import contextmanager
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction

from institute.datasets.apply import apply_plan
from institute.datasets.clean import Lookups, clean_parts
from institute.datasets.file_keys import FileKeys
from institute.datasets.parse import ImportRefused, Limits, ParsedFile, Problem, parse
from institute.datasets.plan import NEW, UPDATED, ImportReport, Plan, plan_entries
from institute.datasets.tables import TABLES, Table
from institute.editorial.models import EntryVersion
from institute.editorial.versions import children_of, m2m_fields

# Rows of a file checked, planned and written at a time, for a table whose rows are each one
# entry (`Table.streams`): what an import holds in memory, whatever the file's length.
PART_ROWS = 2000
# An import that writes at least this many rows has PostgreSQL analyze the tables it wrote, in
# its own transaction, as after any bulk load: until then the planner plans them as they were
# (this machine's server runs no autovacuum, and a server that does waits a minute or more).
# Planned on stale figures, an import of 100,000 unchanged reforms right after they were first
# imported read each part's citations by a sequential scan: 3,180 rows/s, against 4,860 with
# the tables analyzed (benchmarks/README.md, section 1).
ANALYZE_AFTER_ROWS = 10_000


def plan_import(plan: Plan, rows: list[tuple[int, dict]], lookups: Lookups, progress=None) -> Plan:
    """Decide, per row, create / update / unchanged against what editors work on now."""
    if plan.table.plan is not None:
        return plan.table.plan(plan, rows, lookups)
    return plan_entries(plan, rows, lookups, progress=progress)


@contextmanager
def _collector_set_aside():
    """Python's cycle collector kept off what existed before the import (Django, the models,
    the site's modules: some 90,000 objects after Django's setup), which it would otherwise
    walk through again at each of its full passes while an import makes hundreds of thousands
    of its own: 20,000 new reforms took an eighth less CPU (benchmarks/README.md, section 1).
    They are given back to it after, however the import ends. Process-wide: of two imports in
    threads of one process, the first to end gives them back for both, so the other only
    gains less."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@_collector_set_aside()
def run_import(
    *,
    table: str,
    data: bytes | BinaryIO,
    by=None,
    dry_run: bool = False,
    progress=None,
    source_name: str = "",
    preview: bool = False,
    planned_against: dict | None = None,
    limits: Limits | None = None,
    detail: bool = True,
) -> ImportReport:
    """Check, plan and (unless `dry_run`) write one CSV file; ImportRefused if anything is wrong.

    `data` is the file's bytes or a seekable binary file: it is read in chunks as it is checked,
    never whole. A table whose rows are each one entry is checked, planned and written
    `PART_ROWS` rows at a time, in one transaction: what is held is a part, not the file.

    A dry run does everything a real run does inside a transaction and rolls it back, so its
    report is exactly what the real run would do. `planned_against` is a dry run's
    `report.basis`: the file is refused if it no longer plans against the same entries, at the
    same versions (someone saved one since). `limits` are an upload's unless told. Without
    `detail` the report has the counts but not each row's outcome (a file of a million rows).
    """
    dataset = TABLES[table]
    parsed = parse(data, table=dataset, limits=limits, count=progress is not None)
    lookups = Lookups(dataset)
    comment = f"CSV import{': ' + source_name if source_name else ''}"
    plan = Plan(dataset, preview=preview, detail=detail or planned_against is not None)
    with transaction.atomic():
        try:
            _import(plan, parsed, lookups, by=by, comment=comment, progress=progress)
            if planned_against is not None and plan.basis() != planned_against:
                # Confirming a preview: what was shown is what is written, or nothing is.
                raise ImportRefused(
                    [
                        Problem(
                            "Entries this file changes were changed by someone else (or created "
                            "or deleted) since the preview; nothing was written. Check the file "
                            "again to see what it would do now."
                        )
                    ]
                )
        except ImportRefused as exc:
            transaction.set_rollback(True)
            raise _refused(parsed, exc.problems) from exc
        except ValidationError as exc:
            transaction.set_rollback(True)
            raise ImportRefused(
                [Problem(f"The import was undone: {' '.join(exc.messages)}")]
            ) from exc
        except (IntegrityError, DatabaseError) as exc:
            transaction.set_rollback(True)
            raise ImportRefused(
                [Problem(f"The database refused the import, which was undone: {exc}")]
            ) from exc
        if dry_run:
            transaction.set_rollback(True)
        elif plan.counts[NEW] + plan.counts[UPDATED] >= ANALYZE_AFTER_ROWS:
            _analyze_written(dataset)
    basis = plan.basis() if plan.detail else {}
    return ImportReport(table, plan.outcomes, parsed.notices, dry_run, basis, plan.counts)


def _import(plan: Plan, parsed: ParsedFile, lookups: Lookups, *, by, comment: str, progress):
    """Each part of the file checked, planned and written (inside the caller's transaction); the
    refusal names every problem. Once one part is refused nothing more is written, but every
    later part is still checked the same way, so that one refusal names every bad row: problems
    with the file's shape first, else with its cells and keys, else those the write path found.
    """
    table = plan.table
    size = PART_ROWS if table.streams else None
    cells: list[Problem] = []  # the cells' and keys' problems
    writes: list[Problem] = []  # the write path's
    with FileKeys() as keys:
        parts = clean_parts(table, parsed, lookups, keys, size, None if size else progress)
        for part in parts:
            cells += part.problems
            if cells or parsed.problems:
                continue  # refused: the rest of the file is only checked
            first = len(plan.outcomes)
            for line, key, pk, version in part.unchanged:
                plan.vouched_unchanged(line, key, pk, version)
            plan_import(plan, part.rows, lookups, progress=None if size else progress)
            if part.unchanged and plan.detail:  # the report lists rows in the file's order
                plan.outcomes[first:] = sorted(plan.outcomes[first:], key=lambda o: o.line)
            try:
                apply_plan(
                    plan,
                    by=by,
                    comment=comment,
                    write=not writes,
                    progress=None if size else progress,
                )
            except ImportRefused as exc:
                writes += exc.problems
            plan.written()
            if progress and size:
                progress("written" if not writes else "checked", parsed.read, parsed.total or 0)
    # A row that cannot be read as a row makes its cells' problems moot: only its own count.
    problems = parsed.problems or cells or writes
    if problems:
        raise ImportRefused(sorted(problems, key=_problem_order))


def _analyze_written(table: Table) -> None:
    """PostgreSQL's statistics of the tables an import of `table` writes: the entries', their
    links', their child rows' (at every depth) and the versions'."""
    if connection.vendor != "postgresql":
        return  # SQLite plans without statistics unless asked to keep them
    model = table.get_model()
    written = [model, EntryVersion, *(f.remote_field.through for f in m2m_fields(model))]
    children = list(children_of(model))
    while children:
        child = children.pop()
        written.append(child.get_model())
        children += child.children
    names = sorted({connection.ops.quote_name(m._meta.db_table) for m in written})
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(names)}")


def _refused(parsed: ParsedFile, problems: list[Problem]) -> ImportRefused:
    """The refusal, with the raw rows its problems name (read from the file again)."""
    lines = {p.line for p in problems if p.line is not None and p.line > 1}
    return ImportRefused(problems, rows=parsed.rows_at(lines))


def _problem_order(problem: Problem):
    return (problem.line or 0, problem.column)


def failed_rows_csv(header: list[str], rows: list[tuple[int, dict]], problems) -> str:
    """The rows that failed, with a `problems` column, to fix and upload again."""
    by_line: dict[int, list[str]] = {}
    for p in problems:
        if p.line is not None:
            by_line.setdefault(p.line, []).append(str(p))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["line", *header, "problems"])
    for line, values in rows:
        if line in by_line:
            writer.writerow([line, *(values.get(h, "") for h in header), " | ".join(by_line[line])])
    return out.getvalue()
