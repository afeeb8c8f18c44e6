"""Checking every cell of a parsed file against its table's columns, and every reference
against what exists: the cleaned rows, or every problem with line, column, value and reason."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import CharField

from institute.control_characters import allows_line_breaks, control_character_problem, shown
from institute.datasets.columns import field_max_length
from institute.datasets.file_keys import FileKeys, joined
from institute.datasets.parse import ParsedFile, Problem
from institute.datasets.tables import Table
from institute.datasets.unchanged import Question, UnchangedRows, Vouched


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


@dataclass
class CleanPart:
    """A part of a file, checked: the rows to plan, cleaned; the problems of its rows; and the
    rows the database vouched for as unchanged (institute.datasets.unchanged), as (line, key,
    the entry's primary key, its version), which are not cleaned or planned."""

    rows: list[tuple[int, dict]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unchanged: list[tuple[int, str, int, int]] = field(default_factory=list)


def clean_parts(
    table: Table,
    parsed: ParsedFile,
    lookups: Lookups,
    keys: FileKeys,
    size: int | None,
    progress=None,
) -> Iterator[CleanPart]:
    """The file's rows, cleaned, `size` at a time (all in one part when None), each part with
    the problems of its rows: every cell against its column, the row against its table, its key
    against every earlier row's (`keys`). The rows are read from the file as they are checked;
    problems with their shape are the parsed file's own (`parsed.problems`). A table that checks
    its rows together (`check_rows`) is read in one part."""
    if size is not None and table.check_rows is not None:
        raise ValueError(f"the {table.name} table checks its rows together: read it whole")
    columns = {c.name: c for c in table.columns}
    unchanged = UnchangedRows(table, lookups)
    total = parsed.total or 0
    done = 0  # records of earlier parts
    records: list[tuple[int, dict]] = []
    # A part is asked about (unchanged.ask) as soon as the part before it is written, and
    # answered once the next one has been read and its question made: the database compares
    # the one while Python reads the other. Not sooner: a part's rows depend on the writes
    # and the keys of the parts before it.
    asked: tuple[list, Question] | None = None
    try:
        for n, record in enumerate(parsed.records(), start=1):
            records.append(record)
            if size is not None and n % size == 0:
                question = unchanged.question(records)
                if asked is not None:
                    yield _clean_part(table, columns, *_answered(asked), lookups, keys)
                asked, records = (records, unchanged.ask(question)), []
                done = n - size
        if asked is not None:
            yield _clean_part(table, columns, *_answered(asked), lookups, keys)
            done += size
        answer = unchanged.rows(records)
        part = _clean_part(table, columns, records, answer, lookups, keys, progress, done, total)
    finally:
        if asked is not None:
            asked[1].close()
    if table.check_rows is not None:
        part.problems += table.check_rows(part.rows, lookups)
    yield part


def _answered(asked: tuple[list, Question]) -> tuple[list, Vouched]:
    records, question = asked
    return records, question.answer()


def _clean_part(
    table: Table,
    columns: dict,
    records: list[tuple[int, dict]],
    answer: Vouched,
    lookups: Lookups,
    keys: FileKeys,
    progress=None,
    done: int = 0,
    total: int = 0,
) -> CleanPart:
    vouched = answer.rows
    rows, problems = [], []
    for n, (line, raw) in enumerate(records, start=done + 1):
        if line in vouched:
            rows.append((line, raw))
        else:
            row, found = clean_row(table, columns, line, raw, lookups)
            if found:
                problems += found
            else:
                rows.append((line, row))
        if progress and n % 500 == 0:
            progress("checked", n, max(n, total))
    if progress:
        progress("checked", done + len(records), done + len(records))
    part = CleanPart(problems=problems)
    key = table.primary_key[0]  # a vouched row's table has one key column (unchanged.applies)
    for line, row in _distinct(table, rows, keys, problems, answer.earlier):
        if line in vouched:
            part.unchanged.append((line, row[key], *vouched[line]))
        else:
            part.rows.append((line, row))
    return part


def clean_row(table: Table, columns: dict, line: int, raw: dict, lookups: Lookups):
    """(the row's cleaned values, []) or (None, its problems)."""
    row, problems = {}, []
    for name, value in raw.items():
        column = columns[name]
        if problem := control_character_problem(value, multiline=lookups.multiline(column)):
            problems.append(Problem(problem, line, name, shown(value)))
            continue
        try:
            row[name] = column.cell.read(value, column, lookups)
        except ValidationError as exc:
            problems.append(Problem(" ".join(exc.messages), line, name, value))
    if not problems and table.check_row is not None:
        problems = table.check_row(row, line, lookups)
    return (None, problems) if problems else (row, [])


def _distinct(
    table: Table,
    part: list[tuple[int, dict]],
    keys: FileKeys,
    problems: list[Problem],
    claimed: dict[str, int] | None = None,
) -> list[tuple[int, dict]]:
    """The part's rows whose key no earlier row has; a problem for each of the others.
    `claimed`: the part's keys already claimed (`keys.claim`'s answer), by the database's
    comparison of a part it vouched for whole (institute.datasets.unchanged)."""
    if not part:
        return part
    texts = key_texts(table, part)
    first: dict[str, int] = {}  # each key's first line in this part
    for (line, _), text in zip(part, texts, strict=True):
        first.setdefault(text, line)
    earlier = keys.claim(first) if claimed is None else claimed
    if not earlier and len(first) == len(part):  # as a file's rows mostly are: each key new
        return part
    rows = []
    for (line, row), text in zip(part, texts, strict=True):
        seen = earlier.get(text)
        if seen is None and first[text] != line:
            seen = first[text]
        if seen is not None:
            problems.append(
                Problem(
                    f"duplicates line {seen}: each {table.primary_key[0]} may appear once in "
                    "a file",
                    line,
                    table.primary_key[0],
                    " / ".join(str(k) for k in row_key(table, row)),
                )
            )
            continue
        rows.append((line, row))
    return rows


def key_texts(table: Table, part: list[tuple[int, dict]]) -> list[str]:
    """Each row's key as one text (file_keys.joined); a key of one column is its cell."""
    if len(table.primary_key) == 1:
        (name,) = table.primary_key
        return [str(row.get(name, "")) for _, row in part]
    return [joined(row_key(table, row)) for _, row in part]
