"""The XLSX of a table, for people and for programs alike.

The first sheet says what a person reads: labels where the contract has vocabulary values,
names and titles where it has slugs of entries, headings in words. The sheet "data (slugs)" is
the contract's rows as the CSV has them. A "Codebook" sheet says what each column means (the
same words as the data package's codebook). Each table sheet has a bold header row that stays
when scrolling, an autofilter and widths. Written by openpyxl's write-only mode, row by row,
to a file: no sheet is held in memory.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from institute.control_characters import xml_safe
from institute.datasets.codebook import CODEBOOK_RULES, codebook_entries
from institute.datasets.columns import PartialDate, PositiveInteger, Slug, Url, split
from institute.datasets.tables import Table, escape_formula

SLUGS_SHEET = "data (slugs)"
CODEBOOK_SHEET = "Codebook"
MAX_WIDTH = 60  # characters
LABEL_BATCH_ROWS = 500  # rows whose entries' names are read in one query per column


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


def labelled_rows(table: Table, rows: Iterator[list]) -> Iterator[tuple[list, list]]:
    """Each row with what a person reads in it: a vocabulary value as its label, slugs of
    entries as their names; other cells as they are. Names are read for a batch of rows at a
    time (one query per column that names entries), so memory stays flat however many entries
    a table links to."""
    columns = list(enumerate(table.columns))
    # Labels as plain strings: a choices label may be a lazy translation, which join() refuses.
    vocabularies = {
        i: {value: str(label) for value, label in c.vocabulary} for i, c in columns if c.vocabulary
    }
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
    if isinstance(value, int):
        return value
    # xml_safe: a control character stored before input refused them would make openpyxl raise.
    return escape_formula(xml_safe("" if value is None else str(value)))


def header_row(sheet, names: list[str]) -> list:
    # openpyxl takes a tenth of a second to import: only an xlsx download loads it.
    from openpyxl.cell import WriteOnlyCell

    # openpyxl takes a tenth of a second to import: only an xlsx download loads it.
    from openpyxl.styles import Font

    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def start_table_sheet(sheet, table: Table, headings: list[str]) -> None:
    """Widths, a frozen header row in bold (widths must come before the first row)."""
    # openpyxl takes a tenth of a second to import: only an xlsx download loads it.
    from openpyxl.utils import get_column_letter

    for n, column in enumerate(table.columns, 1):
        sheet.column_dimensions[get_column_letter(n)].width = column_width(table, column)
    sheet.freeze_panes = "A2"
    sheet.append(header_row(sheet, headings))


def end_table_sheet(sheet, table: Table, rows: int) -> None:
    # openpyxl takes a tenth of a second to import: only an xlsx download loads it.
    from openpyxl.utils import get_column_letter

    # Written at the sheet's end in write-only mode, so it can follow the rows' count.
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{rows + 1}"


def write_codebook_sheet(sheet, table: Table) -> None:
    # openpyxl takes a tenth of a second to import: only an xlsx download loads it.
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
        str(CODEBOOK_RULES),
    ):
        sheet.append([line])


def write_workbook(handle, table: Table, rows: Iterator[list]) -> None:
    """The rows twice, as people read them (labels) and as the contract has them (slugs), and
    the codebook; written row by row (write-only mode keeps no sheet in memory)."""
    # openpyxl takes a tenth of a second to import: only an xlsx download loads it.
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    people = workbook.create_sheet(str(table.title))  # lazy text, which openpyxl refuses
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
    workbook.save(handle)
