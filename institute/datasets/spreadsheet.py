"""The XLSX of a table, for people and for programs alike.

The first sheet says what a person reads: labels where the contract has vocabulary values,
names and titles where it has slugs of entries, headings in words. The sheet "data (slugs)" is
the contract's rows as the CSV has them. A "Codebook" sheet says what each column means (the
same words as the data package's codebook). Each table sheet has a bold header row that stays
when scrolling, an autofilter and widths. Written row by row by institute.datasets.xlsx: no
sheet is held in memory.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from institute.control_characters import xml_safe
from institute.datasets.codebook import CODEBOOK_RULES, codebook_entries
from institute.datasets.columns import PartialDate, PositiveInteger, Slug, Url, split
from institute.datasets.tables import Table, escape_formula
from institute.datasets.xlsx import BOLD, Sheet, Workbook

SLUGS_SHEET = "data (slugs)"
CODEBOOK_SHEET = "Codebook"
MAX_WIDTH = 60  # characters
CREATOR = "Kazakhstan Reform Tracker"
LABEL_BATCH_ROWS = 5000  # rows whose entries' names are read in one query per column


def column_heading(column) -> str:
    """`announced_on` → "Announced on", for the people's sheet."""
    words = column.name.replace("_", " ")
    return "URL" if words == "url" else words[:1].upper() + words[1:]


def entry_names(target: str, slugs: set[str]) -> dict[str, str]:
    """slug → name (or title) of those entries of model `target`: published ones only where
    the model has a review state, so that no unpublished title leaves through a label."""
    model = apps.get_model(target)
    rows = model.objects.published() if hasattr(model.objects, "published") else model.objects
    label = "name" if any(f.name == "name" for f in model._meta.fields) else "title"
    return dict(rows.filter(slug__in=slugs).values_list("slug", label))


def label_names(table: Table, batch: list[list]) -> dict[int, dict[str, str]]:
    """For a batch of rows: column index → what a person reads for each value there (a
    vocabulary value's label, an entry's name), one query per column that names entries."""
    names = {
        i: {value: str(label) for value, label in c.vocabulary}  # plain: join() refuses lazy
        for i, c in enumerate(table.columns)
        if c.vocabulary
    }
    for i, column in enumerate(table.columns):
        target = getattr(column.cell, "target", "")
        if i in names or not target:
            continue
        wanted = {s for row in batch for s in _slugs(column, row[i])}
        names[i] = entry_names(target, wanted) if wanted else {}
    return names


def _slugs(column, value) -> list[str]:
    return split(value) if column.multi else ([value] if value else [])


def labelled_batch(
    table: Table, batch: list[list], names: dict[int, dict[str, str]]
) -> Iterator[tuple[list, list]]:
    """Each row of `batch` with what a person reads in it (`label_names` of the batch): a cell
    with nothing to name is the value itself. Reads nothing from the database."""
    columns = list(enumerate(table.columns))

    def label(column, known: dict[str, str], value):
        if column.multi:
            return "; ".join(known.get(s, s) for s in split(value))
        return known.get(value, value)

    for row in batch:
        yield (
            row,
            [
                label(c, names[i], v) if i in names else v
                for (i, c), v in zip(columns, row, strict=True)
            ],
        )


def batches(rows: Iterable[list]) -> Iterator[list[list]]:
    """`rows` in batches of LABEL_BATCH_ROWS, the unit `label_names` reads names for."""
    rows = iter(rows)
    while batch := list(itertools.islice(rows, LABEL_BATCH_ROWS)):
        yield batch


def labelled_rows(table: Table, rows: Iterable[list]) -> Iterator[tuple[list, list]]:
    """Each row with what a person reads in it: a vocabulary value as its label, slugs of
    entries as their names; other cells as they are. Names are read for a batch of rows at a
    time (one query per column that names entries), so memory stays flat however many entries
    a table links to."""
    for batch in batches(rows):
        yield from labelled_batch(table, batch, label_names(table, batch))


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
    if isinstance(value, int):
        return value
    # xml_safe: a control character stored before input refused them cannot be written to XML.
    return escape_formula(xml_safe("" if value is None else str(value)))


def table_sheet(workbook: Workbook, name: str, table: Table, headings: list[str]) -> Sheet:
    """A sheet of the table's rows: widths, a frozen header row in bold, an autofilter."""
    sheet = workbook.sheet(
        name,
        widths=[column_width(table, c) for c in table.columns],
        frozen_header=True,
        max_rows=settings.XLSX_MAX_ROWS,
    )
    sheet.append(headings, style=BOLD)
    sheet.autofilter = True
    return sheet


def write_codebook_sheet(sheet: Sheet, table: Table) -> None:
    sheet.append(["Column", "Heading", "Type", "Meaning", "Values"], style=BOLD)
    for column, kind, meaning, vocabulary in codebook_entries(table):
        values = "\n".join(f"{v}: {label}" for v, label in vocabulary)
        sheet.append([column.name, column_heading(column), kind, str(meaning), values])
    sheet.skip_row()
    for line in (
        f"{table.title}: {table.description}",
        f"The first sheet says labels and titles; the sheet “{SLUGS_SHEET}” holds the same rows "
        f"with the stable slugs of {table.name}.csv, as the columns above describe.",
        str(CODEBOOK_RULES),
    ):
        sheet.append([line])


class TableWorkbook:
    """The workbook of one table, filled as its rows come (`add`, or `add_data` and
    `add_labels` a row at a time) and saved once with its codebook sheet. TooManyRows if the
    table is longer than a sheet can be."""

    def __init__(self, table: Table):
        self.table = table
        self.workbook = Workbook(title=f"Kazakhstan Reform Tracker: {table.title}", creator=CREATOR)
        headings = [column_heading(c) for c in table.columns]
        self.people = table_sheet(self.workbook, str(table.title), table, headings)
        self.data = table_sheet(self.workbook, SLUGS_SHEET, table, table.header)
        self.codebook = self.workbook.sheet(
            CODEBOOK_SHEET, widths=[24, 24, 24, MAX_WIDTH, MAX_WIDTH], frozen_header=True
        )

    def add_data(self, row: list) -> list:
        cells = [sheet_cell(v) for v in row]
        self.data.append(cells)
        return cells

    def add_labels(self, row: list, labels: list, cells: list) -> None:
        """The people's row of `row`, whose contract cells are `cells`: a cell with no label is
        the value itself (the same object), and its written form is reused."""
        pairs = zip(cells, row, labels, strict=True)
        self.people.append([c if shown is v else sheet_cell(shown) for c, v, shown in pairs])

    def add(self, labelled: Iterable[tuple[list, list]]) -> None:
        """Rows with their labels, as `labelled_rows` gives them."""
        for row, labels in labelled:
            self.add_labels(row, labels, self.add_data(row))

    def save(self, handle) -> None:
        write_codebook_sheet(self.codebook, self.table)
        self.workbook.save(handle)

    def close(self) -> None:
        for sheet in self.workbook.sheets:
            sheet.close()

    def __enter__(self) -> TableWorkbook:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_workbook(handle, table: Table, rows: Iterator[list]) -> None:
    """The rows twice, as people read them (labels) and as the contract has them (slugs), and
    the codebook; written as the rows come (institute.datasets.xlsx), so the same rows always
    make the same bytes. TooManyRows if the table is longer than a sheet can be."""
    with TableWorkbook(table) as book:
        book.add(labelled_rows(table, rows))
        book.save(handle)
