"""Streaming exports of the dataset tables: CSV, JSON and XLSX, and the full data package.

On PostgreSQL a CSV is written by the database: each row's line is one SQL expression built from
the columns' `sql` (the same bytes as the Python writer, which the tests check), streamed by
`COPY (...) TO STDOUT`. Elsewhere, and for JSON, rows stream from a server-side cursor. Either
way memory stays flat and the first byte leaves at once however large the table. XLSX is
written by openpyxl's write-only mode to a temporary file, then streamed. Cells a spreadsheet
would run as formulas are escaped.

The CSV, JSON and the "data (slugs)" sheet of the XLSX are the contract. The XLSX is also read
by people: its first sheet says labels and titles where the contract has slugs, and a
"Codebook" sheet says what each column means. "CSV for Excel" is the contract CSV's bytes after
a byte order mark, without which Excel reads UTF-8 as a legacy code page.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import itertools
import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from institute.datasets.columns import PartialDate, PositiveInteger, Slug, Url, split
from institute.datasets.tables import TABLES, Table, escape_formula, table_rows

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


def json_value(column, value):
    if column.multi:
        return split(value)
    if column.type == "integer":
        return int(value)
    return value


def json_chunks(table: Table, rows: Iterator[list]) -> Iterator[str]:
    yield "["
    first = True
    for row in rows:
        record = {c.name: json_value(c, v) for c, v in zip(table.columns, row, strict=True)}
        yield ("" if first else ",") + "\n" + json.dumps(record, ensure_ascii=False)
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
# A free-text cell as csv.writer writes it after escape_formula: an apostrophe before a leading
# formula trigger (or apostrophe), and quotes (inner quotes doubled) around a cell that holds a
# comma, a quote or a line break. `{v}` is a text expression that is never NULL.
_FORMULA_PREFIX = r"CASE WHEN {v} ~ '^[-=+@\t\r'']' THEN '''' ELSE '' END"
_CSV_CELL = (
    r"""CASE WHEN {v} ~ '[",\r\n]' THEN '"' || """
    + _FORMULA_PREFIX
    + r""" || replace({v}, '"', '""') || '"' ELSE """
    + _FORMULA_PREFIX
    + " || {v} END"
)
COPY_BATCH_ROWS = 2000


def sql_line(table: Table, *, t: str, base_url: str) -> tuple[str, list] | None:
    """The SQL of one row's CSV line (without its line break), or None if a column has none."""
    model = table.get_model()
    parts, params = [], []
    for column in table.columns:
        if column.sql is not None:
            expression, more = column.sql(t, base_url)
        elif column.get is None:
            field = model._meta.get_field(column.field)
            expression, more = f'{t}."{field.column}"::text', []
        else:
            return None
        expression = f"coalesce({expression}, '')"
        if column.cell.free_text:
            expression = _CSV_CELL.format(v=expression)
            more = more * _CSV_CELL.count("{v}")
        parts.append(f"({expression})")
        params += more
    return " || ',' || ".join(parts), params


def copy_csv(table: Table, queryset, *, base_url: str) -> Iterator[str] | None:
    """The CSV of `queryset` as PostgreSQL writes it, or None where it cannot: another
    database, a column without SQL, or a query the line cannot be added to as one column."""
    if (
        connection.vendor != "postgresql"
        or not settings.DATASET_EXPORT_COPY
        or queryset.query.distinct
        or queryset.query.combinator
    ):
        return None
    t = connection.ops.quote_name(table.get_model()._meta.db_table)
    line = sql_line(table, t=t, base_url=base_url)
    if line is None:
        return None
    rows = (
        queryset.prefetch_related(None)
        .annotate(_csv_line=RawSQL(*line))
        .values_list("_csv_line", flat=True)
    )
    sql, params = rows.query.sql_with_params()

    def lines() -> Iterator[str]:
        yield from csv_lines(table, iter(()))
        # psycopg's own cursor: Django's debug wrapper of copy() takes no parameters.
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY ({sql}) TO STDOUT", params) as copy,
        ):
            batch = []
            for (text,) in copy.rows():
                batch.append(text)
                if len(batch) == COPY_BATCH_ROWS:
                    yield "\r\n".join(batch) + "\r\n"
                    batch = []
            if batch:
                yield "\r\n".join(batch) + "\r\n"

    return lines()


def export_lines(table: Table, queryset, *, base_url: str) -> Iterator[str]:
    """`queryset`, public rows of `table` in the file's order, as CSV text."""
    fast = copy_csv(table, queryset, base_url=base_url)
    if fast is not None:
        return fast
    return csv_lines(table, table_rows(table, table.prepare(queryset), base_url=base_url))


def stream_table(table: Table, queryset, *, fmt: str, base_url: str, qualifier: str = ""):
    """An HTTP response with `queryset` (public rows of `table`, not yet `prepare`d) in `fmt`
    (csv, csv-excel, json or xlsx); `qualifier` names the filter in the file name."""
    if fmt in ("csv", "csv-excel"):
        lines = export_lines(table, queryset, base_url=base_url)
        suffix = ""
        if fmt == "csv-excel":
            lines, suffix = itertools.chain([BOM], lines), "-excel"
        response = StreamingHttpResponse(lines, content_type=CSV_CONTENT_TYPE)
        return attachment(response, filename(table, "csv", qualifier=qualifier, suffix=suffix))
    rows = table_rows(table, table.prepare(queryset), base_url=base_url)
    if fmt == "json":
        response = StreamingHttpResponse(
            json_chunks(table, rows), content_type="application/json; charset=utf-8"
        )
    elif fmt == "xlsx":
        return xlsx_response(table, rows, qualifier=qualifier)
    else:
        raise ValueError(f"Unknown format {fmt!r}")
    return attachment(response, filename(table, fmt, qualifier=qualifier))


# --- XLSX for people -----------------------------------------------------------------------
SLUGS_SHEET = "data (slugs)"
CODEBOOK_SHEET = "Codebook"
MAX_WIDTH = 60


def column_heading(column) -> str:
    """`announced_on` → "Announced on", for the people's sheet."""
    words = column.name.replace("_", " ")
    return "URL" if words == "url" else words[:1].upper() + words[1:]


LABEL_BATCH_ROWS = 500


def entry_names(target: str, slugs: set[str]) -> dict[str, str]:
    """slug → name (or title) of those entries of model `target`: published ones only where
    the model has a review state, so that no unpublished title leaves through a label."""
    model = apps.get_model(target)
    rows = model.objects.published() if hasattr(model.objects, "published") else model.objects
    label = "name" if any(f.name == "name" for f in model._meta.fields) else "title"
    return dict(rows.filter(slug__in=slugs).values_list("slug", label))


def labelled_rows(table: Table, rows: Iterator[list]) -> Iterator[tuple[list, list]]:
    """Each row with what a person reads in it: a vocabulary value as its label, slugs of
    entries as their names; other cells as they are. Names are read for a batch of rows at a
    time (one query per column that names entries), so memory stays flat however many entries
    a table links to."""
    columns = list(enumerate(table.columns))
    vocabularies = {i: dict(c.vocabulary) for i, c in columns if c.vocabulary}
    targets = {
        i: c.cell.target
        for i, c in columns
        if i not in vocabularies and getattr(c.cell, "target", "")
    }

    def slugs_of(column, value) -> list[str]:
        return split(value) if column.multi else ([value] if value else [])

    def label(column, names: dict[str, str], value):
        if column.multi:
            return "; ".join(names.get(s, s) for s in split(value))
        return names.get(value, value)

    rows = iter(rows)
    while True:
        batch = list(itertools.islice(rows, LABEL_BATCH_ROWS))
        if not batch:
            return
        names = dict(vocabularies)
        for i, target in targets.items():
            wanted = {s for row in batch for s in slugs_of(table.columns[i], row[i])}
            names[i] = entry_names(target, wanted) if wanted else {}
        for row in batch:
            yield (
                row,
                [
                    label(c, names[i], v) if i in names else v
                    for (i, c), v in zip(columns, row, strict=True)
                ],
            )


def column_width(table: Table, column) -> int:
    """A width in characters that shows a typical cell without a spreadsheet's default
    (8.43, where every title is cut)."""
    cell = column.cell
    if column.vocabulary:
        guess = max(len(label) for _, label in column.vocabulary) + 2
    elif isinstance(cell, PartialDate):
        guess = 12
    elif isinstance(cell, PositiveInteger):
        guess = 10
    elif isinstance(cell, Slug):
        guess = 32
    elif column.multi or column.refers_to or isinstance(cell, Url) or column.name == "url":
        guess = 45
    else:
        try:
            field = table.get_model()._meta.get_field(column.field)
        except FieldDoesNotExist:
            field = None
        guess = MAX_WIDTH if isinstance(field, models.TextField) else 40
    return min(max(guess, len(column.name) + 4), MAX_WIDTH)


def sheet_cell(value):
    return value if isinstance(value, int) else escape_formula("" if value is None else str(value))


def header_row(sheet, names: list[str]) -> list:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def start_table_sheet(sheet, table: Table, headings: list[str]) -> None:
    """Widths, a frozen header row in bold (widths must come before the first row)."""
    from openpyxl.utils import get_column_letter

    for n, column in enumerate(table.columns, 1):
        sheet.column_dimensions[get_column_letter(n)].width = column_width(table, column)
    sheet.freeze_panes = "A2"
    sheet.append(header_row(sheet, headings))


def end_table_sheet(sheet, table: Table, rows: int) -> None:
    from openpyxl.utils import get_column_letter

    # Written at the sheet's end in write-only mode, so it can follow the rows' count.
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{rows + 1}"


def write_codebook_sheet(sheet, table: Table) -> None:
    from openpyxl.utils import get_column_letter

    for n, width in enumerate((24, 24, 24, MAX_WIDTH, MAX_WIDTH), 1):
        sheet.column_dimensions[get_column_letter(n)].width = width
    sheet.freeze_panes = "A2"
    sheet.append(header_row(sheet, ["Column", "Heading", "Type", "Meaning", "Values"]))
    for column, kind, meaning, vocabulary in codebook_entries(table):
        values = "\n".join(f"{v}: {label}" for v, label in vocabulary)
        sheet.append([column.name, column_heading(column), kind, meaning, values])
    sheet.append([])
    for line in (
        f"{table.title}: {table.description}",
        f"The first sheet says labels and titles; the sheet “{SLUGS_SHEET}” holds the same rows "
        f"with the stable slugs of {table.name}.csv, as the columns above describe.",
        CODEBOOK_RULES,
    ):
        sheet.append([line])


def xlsx_response(table: Table, rows: Iterator[list], *, qualifier: str = "") -> FileResponse:
    """The rows twice, as people read them (labels) and as the contract has them (slugs), and
    the codebook; written row by row (write-only mode keeps no sheet in memory)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    people = workbook.create_sheet(table.title)
    data = workbook.create_sheet(SLUGS_SHEET)
    codebook = workbook.create_sheet(CODEBOOK_SHEET)
    start_table_sheet(people, table, [column_heading(c) for c in table.columns])
    start_table_sheet(data, table, table.header)
    count = 0
    for row, labels in labelled_rows(table, rows):
        data.append([sheet_cell(v) for v in row])
        people.append([sheet_cell(v) for v in labels])
        count += 1
    end_table_sheet(people, table, count)
    end_table_sheet(data, table, count)
    write_codebook_sheet(codebook, table)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 -- FileResponse closes it when sent
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename(table, "xlsx", qualifier=qualifier),
        content_type=XLSX_CONTENT_TYPE,
    )


# --- the data package --------------------------------------------------------------------------
def table_csv_file(table: Table, *, base_url: str):
    """The table's public CSV in a temporary file, written as it streams (memory stays flat)."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 -- the caller closes it
    for text in export_lines(table, table.queryset(), base_url=base_url):
        handle.write(text.encode("utf-8"))
    handle.seek(0)
    return handle


def content_version(tables: dict) -> str:
    """A short fingerprint of the data (each table's CSV, as a file): the same content always
    gives the same version."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        digest.update(name.encode() + b"\0")
        tables[name].seek(0)
        while chunk := tables[name].read(1 << 20):
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
                "title": table.title,
                "description": table.description,
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


CODEBOOK_RULES = (
    "Files are UTF-8 CSV with a header row and RFC 4180 quoting. Several values in one cell "
    "are joined by `;`. Vocabulary values are stable slugs. Dates are ISO at the precision "
    "the source gives: `2019`, `2019-12` or `2019-12-20`. A cell that a spreadsheet would "
    "run as a formula (starting with =, +, -, @, a tab or a carriage return), or that starts "
    "with an apostrophe, is preceded by one apostrophe; the tracker's importer removes it."
)


def codebook_entries(table: Table) -> Iterator[tuple]:
    """(column, kind, meaning, vocabulary) of each column: what the codebook says of it, in
    the data package's codebook.md and in the XLSX's Codebook sheet alike."""
    for c in table.columns:
        kind = "integer" if c.type == "integer" else ("list of slugs" if c.multi else "text")
        if c.pattern and "[0-9]{4}" in c.pattern:
            kind = "date (reduced precision)"
        required = " Required." if c.required else ""
        yield c, kind, f"{c.description}{required}", list(c.vocabulary or [])


def codebook_markdown(*, version: str, created: datetime.datetime) -> str:
    lines = [
        "# Kazakhstan Reform Tracker: codebook",
        "",
        f"Content version {version}, made {created.date().isoformat()}.",
        "",
        CODEBOOK_RULES,
    ]
    for table in TABLES.values():
        lines += ["", f"## {table.name}.csv: {table.title}", "", table.description, ""]
        lines += ["| column | type | meaning | values |", "| --- | --- | --- | --- |"]
        for c, kind, meaning, vocabulary in codebook_entries(table):
            values = "; ".join(f"`{v}`: {label}" for v, label in vocabulary)
            lines.append(f"| `{c.name}` | {kind} | {meaning} | {values} |")
    return "\n".join(lines) + "\n"


def data_package(*, base_url: str) -> tuple[io.BufferedRandom, str]:
    """A ZIP of every table as CSV, the codebook and datapackage.json; returns (file, version)."""
    tables = {name: table_csv_file(t, base_url=base_url) for name, t in TABLES.items()}
    try:
        version = content_version(tables)
        created = timezone.now()
        handle = tempfile.TemporaryFile()  # noqa: SIM115 -- FileResponse closes it when sent
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in tables.items():
                data.seek(0)
                with archive.open(f"{name}.csv", "w") as entry:
                    shutil.copyfileobj(data, entry, 1 << 20)
            descriptor = datapackage_descriptor(version=version, created=created, base_url=base_url)
            archive.writestr(
                "datapackage.json", json.dumps(descriptor, indent=2, ensure_ascii=False)
            )
            archive.writestr("codebook.md", codebook_markdown(version=version, created=created))
    finally:
        for data in tables.values():
            data.close()
    handle.seek(0)
    return handle, version
