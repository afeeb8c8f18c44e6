"""django-import-export Resources for the admin: its upload, preview and confirm screens, with
our import engine (institute.datasets.importer) underneath and our table definitions
(institute.datasets.tables) for the columns.

The engine, not import-export's row-by-row import, does the work: it checks the whole file
before writing, writes in bulk, keeps many-to-many links (which import-export's bulk mode drops)
and sends edits to published entries through review. The Resource turns its report into the
`Result` the admin screens show.
"""

from __future__ import annotations

import tablib
from django.core.exceptions import PermissionDenied
from import_export import resources
from import_export.fields import Field
from import_export.formats import base_formats
from import_export.results import Error, Result, RowResult

from institute.datasets.importer import failed_rows_csv
from institute.datasets.importer import run_import as engine_import
from institute.datasets.parse import ImportRefused, parse
from institute.datasets.permissions import can_import
from institute.datasets.plan import NEW, UNCHANGED, UPDATED
from institute.datasets.tables import TABLES, escape_formula

ROW_TYPES = {
    NEW: RowResult.IMPORT_TYPE_NEW,
    UPDATED: RowResult.IMPORT_TYPE_UPDATE,
    UNCHANGED: RowResult.IMPORT_TYPE_SKIP,
}


class RawCSV(base_formats.CSV):
    """CSV handed to our engine as the bytes uploaded, so that it can judge the encoding, the
    BOM, the line ends and the shape itself and say what is wrong in its own words."""

    def create_dataset(self, in_stream):
        data = in_stream if isinstance(in_stream, bytes) else in_stream.encode("utf-8")
        dataset = tablib.Dataset(headers=["file"])
        dataset.append([f"{len(data):,} bytes"])  # import-export refuses an empty Dataset
        dataset.raw_bytes = data
        return dataset

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def get_title(self):
        return "csv"


class TableResource(resources.Resource):
    """One dataset table, imported by the engine and exported with the CSV contract's columns."""

    table_name = ""

    @classmethod
    def get_display_name(cls):
        return TABLES[cls.table_name].title

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        for column in TABLES[self.table_name].columns:
            self.fields[column.name] = Field(attribute=None, column_name=column.name)

    def get_user_visible_fields(self):
        return list(self.fields.values())

    # --- import ----------------------------------------------------------------------------
    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        user = kwargs.get("user")
        result = Result()
        result.diff_headers = ["line", "key", "changes"]
        result.problems, result.notices, result.failed_rows_csv = [], [], ""
        if user is not None and not can_import(user, self.table_name):
            raise PermissionDenied(f"You may not import {self.table_name}.")
        data = getattr(dataset, "raw_bytes", None)
        if data is None:  # a Dataset built elsewhere: write it back out as CSV
            data = dataset.export("csv").encode("utf-8")
        try:
            report = engine_import(
                table=self.table_name,
                data=data,
                by=user,
                dry_run=dry_run,
                source_name=kwargs.get("file_name") or "",
                preview=dry_run,
            )
        except ImportRefused as exc:
            result.problems = [str(p) for p in exc.problems]
            for problem in exc.problems:
                result.append_base_error(Error(str(problem), number=problem.line))
            if exc.rows:
                header = parse(data, table=TABLES[self.table_name]).header
                result.failed_rows_csv = failed_rows_csv(header, exc.rows, exc.problems)
            return result
        result.notices = report.notices
        result.summary = report.summary()
        for outcome in report.outcomes:
            row = RowResult()
            row.import_type = ROW_TYPES[outcome.action]
            row.object_repr = outcome.key
            row.diff = [outcome.line, outcome.key, describe(outcome.changes)]
            result.append_row_result(row)
            result.increment_row_result_total(row)
        result.total_rows = len(report.outcomes)
        return result

    # --- export ----------------------------------------------------------------------------
    def export(self, queryset=None, **kwargs):
        """Every column, every relation (editors see drafts too), formulas escaped."""
        table = TABLES[self.table_name]
        if queryset is None:
            queryset = table.queryset()
        queryset = table.prepare(queryset, public=False)
        # Columns the editor ticked on the export form, in the contract's order.
        chosen = kwargs.get("export_fields") or table.header
        keep = [i for i, name in enumerate(table.header) if name in chosen]
        dataset = tablib.Dataset(headers=[table.header[i] for i in keep])
        base_url = kwargs.get("base_url", "")
        for obj in queryset.iterator(chunk_size=500):
            cells = table.row(obj, base_url)
            dataset.append(
                [
                    cells[i] if isinstance(cells[i], int) else escape_formula(str(cells[i]))
                    for i in keep
                ]
            )
        return dataset


def describe(changes) -> str:
    """A change list in a line: “title: Old → New; topics: +Agriculture −Media”."""
    parts = []
    for change in changes:
        if change.is_list:
            moves = [f"+{a}" for a in change.added] + [f"−{r}" for r in change.removed]
            parts.append(f"{change.label}: {' '.join(moves) or 'reordered'}")
        else:
            parts.append(f"{change.label}: {_short(str(change.old))} → {_short(str(change.new))}")
    return "; ".join(parts)


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "…"


class ReformResource(TableResource):
    table_name = "reforms"


class RecommendationResource(TableResource):
    table_name = "recommendations"


class SourceResource(TableResource):
    table_name = "sources"


class CitationResource(TableResource):
    table_name = "citations"


class ResponseResource(TableResource):
    table_name = "responses"
