"""Checking every cell of a parsed file against its table's columns, and every reference
against what exists: the cleaned rows, or every problem with line, column, value and reason."""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import CharField

from institute.control_characters import allows_line_breaks, control_character_problem, shown
from institute.datasets.columns import field_max_length
from institute.datasets.parse import ParsedFile, Problem
from institute.datasets.tables import Table


class Lookups:
    """What a file's cells are checked against, each read once per import: the natural keys a
    file may refer to (slug → primary key, by model), which of them are published (links to
    unpublished entries are never shown in public files, so an import keeps them rather than
    reading their absence as a removal), and the limits of the table's own fields."""

    def __init__(self, table: Table):
        self.model = table.get_model()
        self._memo: dict = {}

    def memo(self, name, compute: Callable):
        if name not in self._memo:
            self._memo[name] = compute()
        return self._memo[name]

    # Called once per cell that refers to something: the model is looked up inside the memo,
    # not per call (apps.get_model was a tenth of an import's time).
    def keys(self, label: str) -> dict[str, int]:
        return self.memo(
            ("keys", label),
            lambda: dict(apps.get_model(label).objects.values_list("slug", "pk")),
        )

    def published(self, label: str) -> set[int]:
        return self.memo(
            ("published", label),
            lambda: set(apps.get_model(label).objects.published().values_list("pk", flat=True)),
        )

    def max_length(self, field: str) -> int | None:
        return self.memo(("max_length", field), lambda: field_max_length(self.model, field))

    def multiline(self, column) -> bool:
        """Whether the column's cells may hold line breaks and tabs: everywhere but a
        single-line field of the table's own model (the write path checks its children's)."""
        return self.memo(("multiline", column.field), lambda: self._multiline(column))

    def _multiline(self, column) -> bool:
        try:
            field = self.model._meta.get_field(column.field)
        except FieldDoesNotExist:
            return True
        return not isinstance(field, CharField) or allows_line_breaks(field)


def row_key(table: Table, row: dict) -> tuple:
    return tuple(row.get(k, "") for k in table.primary_key)


def clean_rows(table: Table, parsed: ParsedFile, lookups: Lookups, progress=None):
    """Every row's cleaned values, or every problem with line, column, value and reason. The
    rows are read from the file as they are checked; problems with their shape are the
    parsed file's own (`parsed.problems`)."""
    columns = {c.name: c for c in table.columns}
    problems: list[Problem] = []
    cleaned: list[tuple[int, dict]] = []
    seen: dict = {}
    total = parsed.total or 0
    n = 0
    for n, (line, raw) in enumerate(parsed.records(), start=1):
        row, ok = {}, True
        for name, value in raw.items():
            column = columns[name]
            if problem := control_character_problem(value, multiline=lookups.multiline(column)):
                ok = False
                problems.append(Problem(problem, line, name, shown(value)))
                continue
            try:
                row[name] = column.cell.read(value, column, lookups)
            except ValidationError as exc:
                ok = False
                problems.append(Problem(" ".join(exc.messages), line, name, value))
        if ok and table.check_row is not None:
            found = table.check_row(row, line, lookups)
            problems += found
            ok = not found
        if ok:
            key = row_key(table, row)
            if key in seen:
                problems.append(
                    Problem(
                        f"duplicates line {seen[key]}: each {table.primary_key[0]} may "
                        "appear once in a file",
                        line,
                        table.primary_key[0],
                        " / ".join(str(k) for k in key),
                    )
                )
                ok = False
            else:
                seen[key] = line
        if ok:
            cleaned.append((line, row))
        if progress and n % 500 == 0:
            progress("checked", n, max(n, total))
    if progress:
        progress("checked", n, n)
    if table.check_rows is not None:
        problems += table.check_rows(cleaned, lookups)
    return cleaned, problems
