"""Rows of an import that are, cell for cell, what the public file writes for their entry now,
found by the database a part of the file at a time.

The files promise a round trip: a file the tracker exported, imported again, changes nothing. A
row whose every imported cell equals the export's cell for the same entry, as it stands, is such
a row, so the importer reports it unchanged without checking its cells one by one, reading the
entry's snapshot or planning it (institute.datasets.importer). PostgreSQL compares the part's
cells with the export's own SQL of each column (`export.sql_cells`, the expressions the
database's CSV files are written by: one definition of a cell), in one query a part; the rows it
cannot vouch for take the importer's usual path, which decides them exactly as before.

It vouches only where that is safe: an entry with a working copy (editors work on the copy, not
the row the file was written from) is left to the usual path, and so is a row that path
refuses whatever the entry holds: a required cell left blank, a control character where the
column allows none (an entry may hold one stored before the rule). A cell the import
ignores (a page's address, the links other entries own) is not compared. Its rows are still
counted, and their keys still checked against every other row's.

On by default (`IMPORT_UNCHANGED_BY_SQL`), PostgreSQL only: SQLite has no SQL of the link
columns (they are worked out in Python there), and imports row by row.
"""

from __future__ import annotations

import re

import psycopg
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from institute.control_characters import control_character_problem
from institute.datasets.export import sql_cells
from institute.datasets.file_keys import SEPARATOR
from institute.datasets.tables import Table
from institute.editorial.models import PendingRevision

ENTRY = "e"  # the entries' table in the query
_ANY_CONTROL_BUT_SEPARATOR = re.compile("[\x00-\x1e]")


def applies(table: Table) -> bool:
    """Whether rows of `table` can be vouched for: one entry a row, by slug, on PostgreSQL."""
    return (
        connection.vendor == "postgresql"
        and settings.IMPORT_UNCHANGED_BY_SQL
        and table.streams
        and table.check_row is None
        and table.primary_key == ["slug"]
    )


def unchanged_rows(
    table: Table, part: list[tuple[int, dict]], lookups
) -> dict[int, tuple[int, int]]:
    """{line: (the entry's primary key, its version)} of the part's rows that are what the
    public file writes for an entry with no working copy; the others are not in it. `lookups`
    (institute.datasets.clean.Lookups) says which cells may hold line breaks."""
    if not part or not applies(table):
        return {}
    cells = sql_cells(table, t=ENTRY, base_url="")
    if cells is None:
        return {}
    compared = [
        (column, cell)
        for column, cell in zip(table.columns, cells, strict=True)
        if column.name in part[0][1] and column.cell.imported
    ]
    names = [column.name for column, _ in compared]
    if "slug" not in names:
        return {}
    required = [c.name for c in table.columns if c.name in names and c.cell.must_have_value(c)]
    line_breaks = [(column.name, lookups.multiline(column)) for column, _ in compared]
    # Each row's cells go as one text, joined by a character no cell may hold, and are split
    # again by the database: one value a row to send rather than one a cell. The cells are as
    # Python reads them (a formula's apostrophe removed: parse.ParsedFile), so each is compared
    # with the export's cell before its apostrophe is added.
    lines, texts = [], []
    for line, raw in part:
        text = SEPARATOR.join([raw[name] for name in names])
        # A row the usual path refuses, whatever the entry holds, is left to it: a cell with a
        # control character where its column allows none (the same check, asked only of a row
        # that holds one) or holding the separator, or a required cell blank.
        if text.count(SEPARATOR) >= len(names):
            continue
        if _ANY_CONTROL_BUT_SEPARATOR.search(text) and any(
            control_character_problem(raw[name], multiline=multiline)
            for name, multiline in line_breaks
        ):
            continue
        if any(not raw[name].strip() for name in required):
            continue
        lines.append(line)
        texts.append(text)
    if not lines:
        return {}
    model = table.get_model()
    conditions, params = [], []
    for n, (column, (expression, expression_params)) in enumerate(compared, start=1):
        if column.name != "slug":
            conditions.append(f"f.c[{n}] = {expression}")
            params += expression_params
    # Materialized: each row split once, not once for every cell compared. Lateral (and kept
    # apart by OFFSET 0, which the planner does not flatten): each row looks its entry up by
    # slug, whatever the planner thinks of the table: during an import of new rows the table is
    # not yet analyzed, and a hash join read all of it for every part.
    sql = (
        f"WITH f AS MATERIALIZED (SELECT line, string_to_array(cells, chr({ord(SEPARATOR)})) "
        "AS c FROM unnest(%s::int[], %s::text[]) AS r(line, cells)) "
        f"SELECT f.line, m.id, m.version FROM f CROSS JOIN LATERAL ("
        f"SELECT {ENTRY}.id, {ENTRY}.version FROM {model._meta.db_table} {ENTRY} "
        f'WHERE {ENTRY}."slug" = f.c[{names.index("slug") + 1}]'
        + "".join(f" AND {c}" for c in conditions)
        + f" OFFSET 0) m WHERE NOT EXISTS (SELECT 1 FROM {PendingRevision._meta.db_table} p "
        "WHERE p.content_type_id = %s AND p.object_id = m.id)"
    )
    content_type = ContentType.objects.get_for_model(model).pk
    with _binding_cursor() as cursor:
        cursor.execute(sql.replace("%s", "%b"), [lines, texts, *params, content_type])
        return {line: (pk, version) for line, pk, version in cursor.fetchall()}


def _binding_cursor():
    """A cursor that sends the statement's parameters apart from its text, in binary, wrapped
    as Django wraps its own (errors, the query log): Django's cursors write every value into
    the statement's text, quoted, which took half of this query's time when each cell went on
    its own."""
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)
