"""Streaming exports of the dataset tables: CSV, JSON and XLSX, and the full data package.

On PostgreSQL the database reads the rows: a CSV's lines are written by it (each row's line is
one SQL expression built from the columns' `sql`), and a JSON's or an XLSX's cells are read by
one COPY of the same columns (`copy_rows`), never through the ORM and its prefetches. Elsewhere
rows stream from a server-side cursor. Both paths give the same bytes (tests). Either way memory
stays flat and the first byte leaves at once however large the table. An XLSX is written row by
row to a temporary file (institute.datasets.xlsx), then sent. Cells a spreadsheet would run as
formulas are escaped.

The CSV, JSON and the "data (slugs)" sheet of the XLSX are the contract; the XLSX's other sheets
are for people (institute.datasets.spreadsheet). "CSV for Excel" is the contract CSV's bytes
after a byte order mark, without which Excel reads UTF-8 as a legacy code page.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import hashlib
import itertools
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models.expressions import RawSQL
from django.http import FileResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from institute.datasets.codebook import codebook_markdown
from institute.datasets.columns import split
from institute.datasets.spool import Spool
from institute.datasets.spreadsheet import write_workbook
from institute.datasets.tables import ESCAPED_FIRST, TABLES, Table, escape_formula, table_rows
from institute.datasets.xlsx import TooManyRows
from institute.editorial.as_of import one_snapshot
from institute.page_cache import ON_DISK_ALREADY

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"


class _Echo:
    """A file-like object whose write() hands back what it was given, for csv.writer."""

    def write(self, value):
        return value


def csv_lines(table: Table, rows: Iterator[list], *, escape: bool = True) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(table.header)
    for row in rows:
        cells = ["" if v is None else str(v) for v in row]
        yield writer.writerow([escape_formula(c) for c in cells] if escape else cells)


def json_kind(column) -> Callable | None:
    """How a cell of `column` becomes a JSON value: split into a list where the column holds
    several, made a number where it is an integer, else as it is (None)."""
    if column.multi:
        return split
    return int if column.type == "integer" else None


def json_value(column, value):
    kind = json_kind(column)
    return value if kind is None else kind(value)


def record_maker(table: Table) -> Callable[[list], dict]:
    """The function that makes a row a record as the JSON export and the API write it: column
    name → value, a list where the column holds several, a number where it is an integer. What
    it asks of each column is read once, not once a cell."""
    names = [c.name for c in table.columns]
    kinds = [json_kind(c) for c in table.columns]

    def record(row: list) -> dict:
        return {
            name: (value if kind is None else kind(value))
            for name, kind, value in zip(names, kinds, row, strict=True)
        }

    return record


def json_record(table: Table, row: list) -> dict:
    """One row as the JSON export and the API write it."""
    return record_maker(table)(row)


def json_chunks(table: Table, rows: Iterator[list]) -> Iterator[str]:
    record = record_maker(table)
    # One encoder for the file: json.dumps makes one per call when it is given an option.
    encode = json.JSONEncoder(ensure_ascii=False).encode
    yield "["
    first = True
    for row in rows:
        yield ("" if first else ",") + "\n" + encode(record(row))
        first = False
    yield "\n]\n"


def filename(table: Table, extension: str, *, qualifier: str = "", suffix: str = "") -> str:
    """`reforms-area-human-rights-2026-12-02.xlsx`: the table, what was filtered (slugified,
    see institute.datasets.views.filter_qualifier) and today."""
    stem = "-".join(p for p in (table.name, qualifier, timezone.localdate().isoformat()) if p)
    return f"{stem}{suffix}.{extension}"


def attachment(response, name: str):
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- CSV written by PostgreSQL ---------------------------------------------------------------
# A free-text cell after escape_formula: an apostrophe before a leading formula trigger (or
# apostrophe). `{v}` is a text expression that is never NULL. COPY's CSV format quotes a cell as
# csv.writer does (one that holds a comma, a quote or a line break; inner quotes doubled), and
# an empty one too, which csv.writer leaves bare: an empty cell is sent as NULL, which is
# written bare. The first character is read by ascii() (its code point; 0 for an empty text)
# rather than matched by a regular expression: a match on every free-text cell of every row was
# half of the database's time for a whole-table export.
_FORMULA_ESCAPED = (
    "CASE WHEN ascii({v}) IN ("
    + ", ".join(str(ord(first)) for first in sorted(ESCAPED_FIRST))
    + ") THEN '''' || {v} ELSE {v} END"
)
COPY_BATCH_BYTES = 1 << 16
# The rows of a streamed export read by a query of their own before the rest (_head_first).
HEAD_ROWS = 200


def sql_cells(
    table: Table, *, t: str, base_url: str, columns: list | None = None
) -> list[tuple[str, list]] | None:
    """Each column's cell (of `columns`, by default the table's) as a text expression that is
    never NULL (what `Table.row` writes), with its parameters; None if a column has no SQL."""
    model = table.get_model()
    cells = []
    for column in table.columns if columns is None else columns:
        if column.sql is not None:
            expression, params = column.sql(t, base_url)
        elif column.get is None:
            field = model._meta.get_field(column.field)
            expression, params = f'{t}."{field.column}"::text', []
        else:
            return None
        cells.append((f"coalesce({expression}, '')", params))
    return cells


def sql_csv_cells(table: Table, *, t: str, base_url: str) -> list[tuple[str, list]] | None:
    """Each column's cell as COPY's CSV format should write it for the file to be what
    `csv_lines` writes, or None if a column has no SQL."""
    cells = sql_cells(table, t=t, base_url=base_url)
    if cells is None:
        return None
    out = []
    for column, (expression, params) in zip(table.columns, cells, strict=True):
        if column.cell.free_text:
            expression = _FORMULA_ESCAPED.format(v=expression)
            params = params * _FORMULA_ESCAPED.count("{v}")
        out.append((f"nullif({expression}, '')", params))
    return out


def _copyable(queryset) -> bool:
    """PostgreSQL, with COPY on, and a query that columns can be added to."""
    return (
        connection.vendor == "postgresql"
        and settings.DATASET_EXPORT_COPY
        and not queryset.query.distinct
        and not queryset.query.combinator
    )


def _copy(sql: str, params: list) -> Iterator[tuple]:
    """The records of `COPY (sql) TO STDOUT`, as tuples of text, parsed by psycopg."""
    # psycopg's own cursor: Django's debug wrapper of copy() takes no parameters.
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY ({sql}) TO STDOUT", params) as copy,
    ):
        yield from copy.rows()


def cells_query(
    table: Table, queryset, *, base_url: str, csv: bool, part: slice = slice(None)
) -> tuple[str, list] | None:
    """The SQL (and its parameters) that reads `queryset`'s rows (those of `part` of them) as
    the table's cells: as COPY's CSV format should write them (`csv`, sql_csv_cells) or as
    `table_rows` gives them (sql_cells); None where COPY cannot read them (see copy_csv)."""
    if not _copyable(queryset):
        return None
    t = connection.ops.quote_name(table.get_model()._meta.db_table)
    cells = (sql_csv_cells if csv else sql_cells)(table, t=t, base_url=base_url)
    if cells is None:
        return None
    names = [f"_cell_{n}" for n in range(len(cells))]
    rows = (
        queryset.prefetch_related(None)
        .annotate(**{name: RawSQL(*cell) for name, cell in zip(names, cells, strict=True)})
        .values_list(*names)
    )
    return rows[part].query.sql_with_params()


def in_total_order(queryset):
    """`queryset` in its own order with the primary key after it, so that no two rows tie and a
    part of it (a slice) is the same rows whatever plan reads it; None if it has no order."""
    order = list(queryset.query.order_by)
    if not order and queryset.query.default_ordering:
        order = list(queryset.model._meta.ordering)
    if not order:
        return None
    if not any(isinstance(o, str) and o.lstrip("-") in ("pk", "id") for o in order):
        order.append("pk")
    return queryset.order_by(*order)


def crlf(data: bytes, quoted: bool) -> tuple[bytes, bool]:
    """`data`, a stretch of COPY's CSV, with its lines ended by CR LF as csv.writer ends them
    (COPY ends them with LF), and whether it ends inside a quoted cell (`quoted`: whether it
    starts in one). A line break inside quotes is the cell's own and stays as it is. Every quote
    opens or closes a quoted cell: a doubled one inside a cell closes it and opens it again."""
    parts = data.split(b'"')
    for n in range(1 if quoted else 0, len(parts), 2):
        parts[n] = parts[n].replace(b"\n", b"\r\n")
    return b'"'.join(parts), quoted != (len(parts) % 2 == 0)


def copy_csv(table: Table, queryset, *, base_url: str) -> Iterator[bytes] | None:
    """The CSV lines of `queryset`, without the header, as PostgreSQL writes them (COPY in CSV
    format; its UTF-8 bytes are passed on, no row parsed in Python), or None where it cannot:
    another database, a column without SQL, or a query the cells cannot be added to."""
    queries = _queries(table, queryset, base_url=base_url, csv=True)
    if queries is None:
        return None

    def lines() -> Iterator[bytes]:
        buffer, quoted, first = bytearray(), False, True
        for data in _in_parts(queries, _copy_csv):
            buffer += data
            # The first line goes alone: the download is seen to start at once.
            if first or len(buffer) >= COPY_BATCH_BYTES:
                text, quoted = crlf(bytes(buffer), quoted)
                yield text
                buffer.clear()
                first = False
        yield crlf(bytes(buffer), quoted)[0]

    return lines()


def _copy_csv(sql: str, params: list) -> Iterator[bytes]:
    """The lines of `COPY (sql) TO STDOUT` in CSV format, a row at a time (psycopg's
    Copy.read), as bytes."""
    # psycopg's own cursor: Django's debug wrapper of copy() takes no parameters.
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy,
    ):
        yield from copy


def _queries(table: Table, queryset, *, base_url: str, csv: bool) -> list[tuple[str, list]] | None:
    """The queries (SQL and parameters) that read `queryset`'s cells (see cells_query): the
    whole in one, or its head and its rest where its first rows come sooner that way
    (_head_first); None where COPY cannot read them."""
    whole = cells_query(table, queryset, base_url=base_url, csv=csv)
    if whole is None:
        return None
    return _head_first(table, queryset, whole, base_url=base_url, csv=csv) or [whole]


def _in_parts(queries: list[tuple[str, list]], read: Callable) -> Iterator:
    """What `read(sql, params)` gives of each query in turn; several in one snapshot, the rest
    not asked for when the head was all of it."""
    with one_snapshot() if len(queries) > 1 else contextlib.nullcontext():
        for n, (sql, params) in enumerate(queries):
            count = 0
            for item in read(sql, params):
                count += 1
                yield item
            if n == 0 and len(queries) > 1 and count < HEAD_ROWS:
                return


def _head_first(
    table: Table, queryset, query: tuple[str, list], *, base_url: str, csv: bool
) -> list[tuple[str, list]] | None:
    """The queries of `queryset`'s first HEAD_ROWS rows and of the rest, where its first rows
    come sooner that way than by `query` (the whole of it); else None.

    The planner plans for the whole result: for a filtered export at 1M reforms it reads every
    match and sorts them before the first row leaves (about 400 ms), where the first rows alone
    are read from the order's index at once. Read in one snapshot (one_snapshot) and in a
    total order (in_total_order), the two parts are the file read at once. Split only where
    the planner expects the head's first row at under half the cost of the whole's: the whole
    table is read in the index's order already, and a search's rows come from its own index
    in no order, so that its head costs a whole read too."""
    whole = in_total_order(queryset)
    if whole is None:
        return None
    head, rest = (
        cells_query(table, whole, base_url=base_url, csv=csv, part=part)
        for part in (slice(None, HEAD_ROWS), slice(HEAD_ROWS, None))
    )
    return [head, rest] if _startup_cost(*head) * 2 < _startup_cost(*query) else None


def _startup_cost(sql: str, params: list) -> float:
    """What the planner expects reading `sql`'s first row to cost (its own units)."""
    with connection.cursor() as cursor:
        cursor.cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        return float(cursor.cursor.fetchone()[0][0]["Plan"]["Startup Cost"])


def copy_rows(table: Table, queryset, *, base_url: str) -> Iterator[list] | None:
    """The rows of `queryset` as `table_rows` gives them (text, and numbers where a column is an
    integer), read by one COPY of the columns' SQL instead of the ORM and its prefetches; None
    where `copy_csv` would be."""
    queries = _queries(table, queryset, base_url=base_url, csv=False)
    if queries is None:
        return None
    numbers = [n for n, column in enumerate(table.columns) if column.type == "integer"]

    def records() -> Iterator[list]:
        for record in _in_parts(queries, _copy):
            row = list(record)
            for n in numbers:
                row[n] = int(row[n])
            yield row

    return records()


def public_rows(table: Table, queryset, *, base_url: str) -> Iterator[list]:
    """The rows of `queryset` (public rows of `table`, not yet `prepare`d): by COPY where it
    can (`copy_rows`), else from the ORM (`table_rows`). The same values either way (tests)."""
    rows = copy_rows(table, queryset, base_url=base_url)
    if rows is None:
        rows = table_rows(table, table.prepare(queryset), base_url=base_url)
    return rows


class StartedRows:
    """`rows` with the first one already read when this object is made.

    An export reads its first rows from the database before the response's headers leave, so a
    database that fails then fails the request (the 503 of institute.middleware) instead of
    sending a 200 with a header line and no rows. Closing it closes `rows` (a COPY under way is
    cancelled), even if nothing was read past the first."""

    def __init__(self, rows: Iterator):
        self._rows = rows
        self._first = list(itertools.islice(rows, 1))

    def __iter__(self):
        return self

    def __next__(self):
        if self._first:
            return self._first.pop()
        return next(self._rows)

    def close(self):
        if hasattr(self._rows, "close"):
            self._rows.close()


class Body:
    """A streamed export: `chunks`, written from `rows`. Django closes it when the
    response ends or the client leaves, which closes the rows' cursor or COPY.

    An error while it is read is never caught here: it reaches the WSGI server after the headers,
    which then drops the connection without the body's clean end (no terminating chunk), so the
    client sees a broken download, never a short one that looks whole."""

    def __init__(self, chunks: Iterator[str], rows: Iterator):
        self._chunks, self.rows = chunks, rows

    def __iter__(self):
        return self

    def __next__(self) -> str:
        return next(self._chunks)

    def after(self, prefix: str) -> Body:
        return Body(itertools.chain([prefix], self._chunks), self.rows)

    def close(self):
        if hasattr(self._chunks, "close"):
            self._chunks.close()
        self.rows.close()


def write_xlsx(handle, table: Table, queryset, *, base_url: str) -> None:
    """The workbook of `queryset` (institute.datasets.spreadsheet), written to `handle`. Rows a
    COPY reads are spooled first: the workbook reads the names of linked entries between rows."""
    rows = copy_rows(table, queryset, base_url=base_url)
    if rows is None:
        write_workbook(handle, table, table_rows(table, table.prepare(queryset), base_url=base_url))
        return
    with Spool(rows) as spool:
        write_workbook(handle, table, iter(spool))


def database_answers() -> None:
    """A query of its own, before a response's headers leave, for rows a COPY will read: a COPY
    is not started then (one left open holds the connection until its body is read, and the next
    query on it, a test's next request, would wait for ever), but a database that is down is
    found just as well."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def response_rows(table: Table, queryset, *, base_url: str) -> Iterator[list]:
    """`public_rows`, with the database known to answer before a response's headers leave."""
    rows = copy_rows(table, queryset, base_url=base_url)
    if rows is None:
        return StartedRows(table_rows(table, table.prepare(queryset), base_url=base_url))
    database_answers()
    return rows


def export_lines(table: Table, queryset, *, base_url: str) -> Body:
    """`queryset`, public rows of `table` in the file's order, as CSV (the header as text, the
    rows as text or, from PostgreSQL, as UTF-8 bytes); the first rows are read (or the database
    asked) before this returns."""
    lines = copy_csv(table, queryset, base_url=base_url)
    if lines is not None:
        database_answers()
        return Body(itertools.chain(csv_lines(table, iter(())), lines), lines)
    rows = StartedRows(table_rows(table, table.prepare(queryset), base_url=base_url))
    return Body(csv_lines(table, rows), rows)


def json_body(table: Table, queryset, *, base_url: str) -> Body:
    """`queryset`, public rows of `table` in the file's order, as the JSON export's text; the
    database asked before this returns (see `export_lines`)."""
    rows = response_rows(table, queryset, base_url=base_url)
    return Body(json_chunks(table, rows), rows)


def stream_table(table: Table, queryset, *, fmt: str, base_url: str, qualifier: str = ""):
    """An HTTP response with `queryset` (public rows of `table`, not yet `prepare`d) in `fmt`
    (csv, csv-excel, json or xlsx); `qualifier` names the filter in the file name. The database
    is read before the response is returned: see StartedRows and Body."""
    if fmt in ("csv", "csv-excel"):
        lines = export_lines(table, queryset, base_url=base_url)
        suffix = ""
        if fmt == "csv-excel":
            lines, suffix = lines.after(BOM), "-excel"
        response = StreamingHttpResponse(lines, content_type=CSV_CONTENT_TYPE)
        return attachment(response, filename(table, "csv", qualifier=qualifier, suffix=suffix))
    if fmt == "json":
        response = StreamingHttpResponse(
            json_body(table, queryset, base_url=base_url),
            content_type="application/json; charset=utf-8",
        )
    elif fmt == "xlsx":
        return xlsx_response(table, queryset, base_url=base_url, qualifier=qualifier)
    else:
        raise ValueError(f"Unknown format {fmt!r}")
    return attachment(response, filename(table, fmt, qualifier=qualifier))


def too_many_rows() -> HttpResponseBadRequest:
    return HttpResponseBadRequest(
        _(
            "xlsx: there are more rows than a spreadsheet opens (%(limit)s, the header "
            "included). Download them as CSV or JSON, which hold any number of rows, or "
            "filter them to fewer."
        )
        % {"limit": f"{settings.XLSX_MAX_ROWS:,}"},
        content_type="text/plain; charset=utf-8",
    )


class AfterMark:
    """The byte order mark, then a finished CSV: one file to read, seek and measure, so that
    "CSV for Excel" is sent as the CSV's file is (in the server's large blocks, a part of it to
    a client resuming a cut download, institute.byte_ranges), without a copy of the file."""

    MARK = BOM.encode()

    def __init__(self, handle):
        self._handle, self._at = handle, 0
        self._size = len(self.MARK) + os.fstat(handle.fileno()).st_size

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._at

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        start = {os.SEEK_SET: 0, os.SEEK_CUR: self._at, os.SEEK_END: self._size}[whence]
        self._at = max(start + offset, 0)
        return self._at

    def read(self, size: int = -1) -> bytes:
        wanted = self._size - self._at if size is None or size < 0 else size
        mark = self.MARK[self._at : self._at + wanted]  # what is still ahead of the mark
        rest = b""
        if len(mark) < wanted:
            self._handle.seek(max(self._at - len(self.MARK), 0))
            rest = self._handle.read(wanted - len(mark))
        self._at += len(mark) + len(rest)
        return mark + rest if mark else rest

    def close(self) -> None:
        self._handle.close()


def finished_table(table: Table, handle, *, fmt: str, gzipped: bool = False):
    """The response of a whole table from its finished file (institute.datasets.finished_files,
    open in `handle`): the headers `stream_table` gives, the file's length besides; `gzipped`,
    the file is its compressed twin, sent as `Content-Encoding: gzip`."""
    if fmt == "csv-excel":
        response = FileResponse(AfterMark(handle), content_type=CSV_CONTENT_TYPE)
        setattr(response, ON_DISK_ALREADY, True)
        return attachment(response, filename(table, "csv", suffix="-excel"))
    content_type = {
        "csv": CSV_CONTENT_TYPE,
        "json": "application/json; charset=utf-8",
        "xlsx": XLSX_CONTENT_TYPE,
    }[fmt]
    response = FileResponse(handle, content_type=content_type)
    if gzipped:
        response["Content-Encoding"] = "gzip"
    setattr(response, ON_DISK_ALREADY, True)
    return attachment(response, filename(table, fmt))


def xlsx_response(table: Table, queryset, *, base_url: str, qualifier: str = ""):
    """The workbook as a download, or a 400 that says why where the rows are more than a sheet
    holds (never a workbook cut short)."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 -- FileResponse closes it when sent
    try:
        write_xlsx(handle, table, queryset, base_url=base_url)
    except TooManyRows:
        handle.close()
        return too_many_rows()
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename(table, "xlsx", qualifier=qualifier),
        content_type=XLSX_CONTENT_TYPE,
    )


# --- the data package --------------------------------------------------------------------------
def content_version(tables: dict[str, Path]) -> str:
    """A short fingerprint of the data (each table's CSV file): the same content always gives
    the same version."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        digest.update(name.encode() + b"\0")
        with tables[name].open("rb") as data:
            while chunk := data.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()[:12]


def datapackage_descriptor(*, version: str, created: datetime.datetime, base_url: str) -> dict:
    """The package described in the Frictionless Data Package / Table Schema standards."""
    return {
        "profile": "tabular-data-package",
        "name": "kazakhstan-reform-tracker",
        "title": "Kazakhstan Reform Tracker",
        "description": (
            "Kazakhstan's reforms, the recommendations made to Western governments and "
            "institutions and to the government of Kazakhstan, and the sources behind them, as "
            "curated and published by the institute."
        ),
        "version": version,
        "created": created.replace(microsecond=0).isoformat(),
        "homepage": base_url.rstrip("/") + "/data/",
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "title": "Creative Commons Attribution 4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
            }
        ],
        "resources": [
            {
                "profile": "tabular-data-resource",
                "name": table.name,
                # Lazy text: a string in the language the package is written in (json refuses it).
                "title": str(table.title),
                "description": str(table.description),
                "path": f"{table.name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "doubleQuote": True},
                "schema": {
                    "fields": [c.schema() for c in table.columns],
                    "primaryKey": table.primary_key,
                    "foreignKeys": table.foreign_keys(),
                    "missingValues": [""],
                },
            }
            for table in TABLES.values()
        ],
    }


def write_package(handle, tables: dict[str, Path], *, base_url: str) -> str:
    """A ZIP of every table's CSV (`tables`: name → the file institute.datasets.finished_files
    wrote), the codebook and datapackage.json, written to `handle`; returns its version."""
    version = content_version(tables)
    created = timezone.now()
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in tables.items():
            with path.open("rb") as data, archive.open(f"{name}.csv", "w") as entry:
                shutil.copyfileobj(data, entry, 1 << 20)
        descriptor = datapackage_descriptor(version=version, created=created, base_url=base_url)
        archive.writestr("datapackage.json", json.dumps(descriptor, indent=2, ensure_ascii=False))
        archive.writestr("codebook.md", codebook_markdown(version=version, created=created))
    return version
