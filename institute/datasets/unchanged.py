"""Rows of an import that are, cell for cell, what the public file writes for their entry now,
found by the database a part of the file at a time.

The files promise a round trip: a file the tracker exported, imported again, changes nothing. A
row whose every imported cell equals the export's cell for the same entry, as it stands, is such
a row, so the importer reports it unchanged without checking its cells one by one, reading the
entry's snapshot or planning it (institute.datasets.importer). PostgreSQL compares the part's
cells with the export's own SQL of each column (`export.sql_cells`, the expressions the
database's CSV files are written by: one definition of a cell), in one query a part; the rows it
cannot vouch for take the importer's usual path, which decides them exactly as before. The query
goes in psycopg's pipeline mode and is answered once Python has read the next part, so that the
two work at once (`Question`); where it vouches for every row of a part it also claims the
part's keys (institute.datasets.file_keys), a statement fewer.

It vouches only where that is safe: an entry with a working copy (editors work on the copy, not
the row the file was written from) is left to the usual path, and so is a row that path
refuses whatever the entry holds: a required cell left blank, a control character in any cell
whose column allows none (an entry may hold one stored before the rule). A cell the import
ignores (a page's address, the links other entries own) is not compared. Its rows are still
counted, and their keys still checked against every other row's.

On by default (`IMPORT_UNCHANGED_BY_SQL`), PostgreSQL only: SQLite has no SQL of the link
columns (they are worked out in Python there), and imports row by row.
"""

from __future__ import annotations

import re
import selectors
from contextlib import ExitStack
from dataclasses import dataclass, field
from operator import itemgetter

import psycopg
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from institute.binding_cursor import binding_cursor
from institute.control_characters import control_character_problem
from institute.datasets.export import sql_cells
from institute.datasets.file_keys import SEPARATOR, claimed_with
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


class UnchangedRows:
    """One import's question, asked of each part of its file: `rows(part)` is {line: (the
    entry's primary key, its version)} of the part's rows that are what the public file writes
    for an entry with no working copy; the others are not in it. The statement is made once,
    from the file's columns (every row of a parsed file has the same, in the same order), at
    its first part. `lookups` (institute.datasets.clean.Lookups) says which cells may hold
    line breaks."""

    def __init__(self, table: Table, lookups):
        self.table = table
        self.lookups = lookups
        self.on = applies(table)
        self._names: list[str] | None = None

    def question(self, part: list[tuple[int, dict]]) -> list | None:
        """The part's question, to `ask`: made in Python alone, but for the statement's making
        at the first part, which may read the database once (the entries' content type). None
        when there is nothing to ask."""
        if not part or not self.on:
            return None
        if self._names is None:
            self._prepare(list(part[0][1]))
            if not self.on:
                return None
        lines, texts = self._sendable(part)
        if not lines:
            return None
        return [lines, texts, *self._params, len(part)]

    def ask(self, question: list | None) -> Question:
        """The question sent to the database, which works on it while the import goes on
        (reading the next part); the `Question`'s `answer()` is what `rows` returns."""
        if question is None:
            return Question.ANSWERED
        return Question(self._sql, question, question[-1])

    def rows(self, part: list[tuple[int, dict]]) -> Vouched:
        return self.ask(self.question(part)).answer()

    def _sendable(self, part: list[tuple[int, dict]]) -> tuple[list[int], list[str]]:
        """The lines and texts of the part's rows that may be vouched for."""
        # Each row's cells go as one text, joined by a character no cell may hold, and are
        # split again by the database: one value a row to send rather than one a cell. The
        # cells are as Python reads them (a formula's apostrophe removed: parse.ParsedFile), so
        # each is compared with the export's cell before its apostrophe is added.
        lines, texts = [], []
        separators, required = len(self._names) - 1, self._required
        single_line, multi_line = self._single_line, self._multi_line
        for line, raw in part:
            text = SEPARATOR.join(raw.values())
            # A row the usual path refuses, whatever the entry holds, is left to it: a cell
            # holding the separator, a control character where its column allows none (the
            # usual path's rule, asked only of a row that holds one, of its single-line cells
            # and of its others each put end to end), a required cell blank.
            if text.count(SEPARATOR) != separators:
                continue
            if _ANY_CONTROL_BUT_SEPARATOR.search(text) and (
                control_character_problem("".join(single_line(raw)), multiline=False)
                or control_character_problem("".join(multi_line(raw)), multiline=True)
            ):
                continue
            if not all(map(str.strip, required(raw))):
                continue
            lines.append(line)
            texts.append(text)
        return lines, texts

    def _prepare(self, names: list[str]) -> None:
        """The statement and the rows' checks for a file of these columns (the table's)."""
        self._names = names
        table, lookups = self.table, self.lookups
        columns = {column.name: column for column in table.columns}
        # Only the compared columns' SQL: a page's address (not imported) is made by reverse(),
        # which would load every view of the site for a command that shows none.
        wanted = [c for c in table.columns if c.name in names and c.cell.imported]
        cells = sql_cells(table, t=ENTRY, base_url="", columns=wanted)
        if cells is None:  # a column without SQL
            self.on = False
            return
        compared = list(zip(wanted, cells, strict=True))
        if "slug" not in {column.name for column, _ in compared}:
            self.on = False
            return
        multiline = {name: lookups.multiline(columns[name]) for name in names}
        self._single_line = _cells([name for name in names if not multiline[name]])
        self._multi_line = _cells([name for name in names if multiline[name]])
        self._required = _cells(
            [column.name for column, _ in compared if column.cell.must_have_value(column)]
        )
        model = table.get_model()
        conditions, params = [], []
        for column, (expression, expression_params) in compared:
            if column.name != "slug":
                conditions.append(f"f.c[{names.index(column.name) + 1}] = {expression}")
                params += expression_params
        # Materialized: each row split once, not once for every cell compared. Lateral (and
        # kept apart by OFFSET 0, which the planner does not flatten): each row looks its entry
        # up by slug, whatever the planner thinks of the table: during an import of new rows the
        # table is not yet analyzed, and a hash join read all of it for every part.
        # The part's keys claimed only where every row of it is vouched for (its count, the
        # last parameter): else they are claimed after its rows are cleaned.
        keep, earlier = claimed_with("v", when="(SELECT count(*) FROM v) = %s")
        sql = (
            f"WITH f AS MATERIALIZED (SELECT line, string_to_array(cells, chr({ord(SEPARATOR)})) "
            "AS c FROM unnest(%s::int[], %s::text[]) AS r(line, cells)), "
            f"v AS MATERIALIZED (SELECT f.line, f.c[{names.index('slug') + 1}] AS key, m.id, "
            f"m.version FROM f CROSS JOIN LATERAL ("
            f"SELECT {ENTRY}.id, {ENTRY}.version FROM {model._meta.db_table} {ENTRY} "
            f'WHERE {ENTRY}."slug" = f.c[{names.index("slug") + 1}]'
            + "".join(f" AND {c}" for c in conditions)
            + f" OFFSET 0) m WHERE NOT EXISTS (SELECT 1 FROM {PendingRevision._meta.db_table} p "
            f"WHERE p.content_type_id = %s AND p.object_id = m.id)), {keep} "
            f"SELECT v.line, v.key, v.id, v.version, earlier.line FROM v {earlier}"
        )
        # Parameters bound apart from the text, in binary (institute.binding_cursor).
        self._sql = sql.replace("%s", "%b")
        self._params = [*params, ContentType.objects.get_for_model(model).pk]


def _cells(names: list[str]):
    """A function of a row: its cells of these columns, as a tuple."""
    if len(names) == 1:
        (name,) = names
        return lambda raw: (raw[name],)
    return itemgetter(*names) if names else lambda raw: ()


@dataclass
class Vouched:
    """The database's answer for a part: `rows`, {line: (the entry's primary key, its
    version)} of the rows it vouches for; and, where it vouched for every row of the part,
    `earlier`, the keys' claim (file_keys.FileKeys.claim) made in the same statement: the line
    where each key was read in an earlier part, if it was. Else `earlier` is None: the part's
    keys are not claimed yet."""

    rows: dict[int, tuple[int, int]] = field(default_factory=dict)
    earlier: dict[str, int] | None = None


class Question:
    """A part's statement, sent in PostgreSQL's pipeline mode and not waited for: the server
    works on it while Python reads the file's next part, and `answer()` collects the result
    (`Vouched`), leaving pipeline mode. On the connection nothing else may run in between;
    `close()` leaves pipeline mode if the answer is never asked for."""

    ANSWERED: Question

    def __init__(self, sql: str | None = None, params: list | None = None, size: int = 0):
        self._stack = ExitStack()
        self._cursor = None
        self._size = size
        if sql is None:
            return
        connection.ensure_connection()
        with ExitStack() as stack:
            if psycopg.Pipeline.is_supported():  # libpq 14 or later
                stack.enter_context(connection.connection.pipeline())
            self._cursor = stack.enter_context(binding_cursor())
            self._cursor.execute(sql, params)
            _send_all(connection.connection.pgconn)
            self._stack = stack.pop_all()

    def answer(self) -> Vouched:
        if self._cursor is None:
            return Vouched()
        with self._stack:
            found = self._cursor.fetchall()
        vouched = Vouched({line: (pk, version) for line, _key, pk, version, _earlier in found})
        if len(vouched.rows) == self._size:
            vouched.earlier = {key: at for _line, key, _pk, _v, at in found if at is not None}
        return vouched

    def close(self) -> None:
        self._stack.close()


Question.ANSWERED = Question()


def _send_all(pgconn) -> None:
    """What libpq holds of the statement written to the server: psycopg flushes once after
    queueing it, and a part (about a megabyte) can be more than the socket takes at once; the
    server could only start on it at the answer's request otherwise. As libpq asks, whatever
    the server sends meanwhile is read, so that neither side waits on the other."""
    if not pgconn.flush():  # 0: all sent
        return
    with selectors.DefaultSelector() as waiting:
        waiting.register(pgconn.socket, selectors.EVENT_READ | selectors.EVENT_WRITE)
        while True:
            for _key, events in waiting.select():
                if events & selectors.EVENT_READ:
                    pgconn.consume_input()
            if not pgconn.flush():
                return
