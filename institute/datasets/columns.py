"""The CSV contract, one column at a time: what a column is called and means, its type and
vocabulary, how its cell is read and checked on import, how it lands in an entry's snapshot,
and how it is written on export.

A column is defined once, in its table (reforms/datasets/, recommendations/datasets/,
institute/sources/datasets.py); the exports, the data package's `datapackage.json`, the codebook
on /data/ and the importer all read it from there. Columns may be added at the end; never
renamed or reordered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import URLValidator
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy, pgettext_lazy

from institute.dates import PARTIAL_DATE_REGEX, parse_partial_date

MULTI_SEPARATOR = ";"
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_RE = re.compile(SLUG_PATTERN)
# What the tables say of their columns (descriptions, titles, vocabulary labels) is lazy text:
# the codebook on /data/ shows it in the page's language; the files (datapackage.json,
# codebook.md, the XLSX codebook, the API schema) str() it where they are written, in the
# language they are written in (the data package and releases: always the default).
DATE_RULE = gettext_lazy(
    "A date of reduced precision, as precise as the source and never more: a year (2019), a "
    "month (2019-12) or a day (2019-12-20). Empty when the source gives none."
)


def _interpolate(message, params: dict) -> str:
    return str(message) % {key: str(value) for key, value in params.items()}


# `message % params`, done when the text is read, in the language of that moment
# (`gettext_lazy("… %(x)s …") % params` would translate it at once, at import).
interpolate_lazy = lazy(_interpolate, str)


def join(values: Iterable[str]) -> str:
    return MULTI_SEPARATOR.join(values)


def split(cell: str) -> list[str]:
    return [v.strip() for v in (cell or "").split(MULTI_SEPARATOR) if v.strip()]


class Cell:
    """How one column's cells are read, checked, applied and written. The default: text,
    written as it is, applied to the entry's field of the column's name."""

    type = "string"  # Table Schema type
    multi = False  # several values joined by ";"
    pattern: str | None = None
    vocabulary: list[tuple[str, str]] | None = None
    refers_to: tuple[str, str] | None = None  # (table, column) every value must exist in
    # Free text may hold commas, quotes and line breaks, or start like a formula; the other
    # cells (slugs, vocabulary values, dates, numbers) never do, so SQL writes them as they are.
    free_text = True
    # Whether an import applies the cell to the entry (institute.datasets.unchanged compares
    # only the cells that are).
    imported = True

    def must_have_value(self, column: Column) -> bool:
        """Whether `read` refuses a blank cell."""
        return column.required

    def read(self, raw: str, column: Column, context) -> Any:
        """The cell's value as the entry wants it, or ValidationError in plain words."""
        if column.required and not raw.strip():
            raise ValidationError("is required")
        max_length = context.max_length(column.field)
        if max_length and len(raw) > max_length:
            raise ValidationError(f"is {len(raw)} characters long; the limit is {max_length}")
        return raw

    def merge(self, snapshot: dict, value, column: Column, context) -> None:
        """Apply the read value to the entry's snapshot (see institute.editorial.versions)."""
        snapshot[column.field] = value

    def write(self, value) -> Any:
        """The exported cell: a string, or a number where the type is one."""
        return value


class Slug(Cell):
    free_text = False
    pattern = SLUG_PATTERN

    def must_have_value(self, column) -> bool:
        return True

    def read(self, raw, column, context) -> str:
        value = raw.strip()
        if not value:
            raise ValidationError("is required")
        if not SLUG_RE.match(value) or len(value) > 100:
            raise ValidationError(
                "must be lowercase letters, digits and single hyphens (at most 100 characters)"
            )
        return value


@dataclass(frozen=True)
class Choice(Cell):
    vocabulary: list[tuple[str, str]] = field(default_factory=list)
    default: str = ""  # what an empty cell of an optional column means
    free_text = False

    def read(self, raw, column, context) -> str:
        value = raw.strip()
        if not value:
            if column.required:
                raise ValidationError("is required")
            return self.default
        allowed = [v for v, _ in self.vocabulary]
        if value not in allowed:
            raise ValidationError(f"must be one of {', '.join(allowed)}")
        return value


class PartialDate(Cell):
    free_text = False
    pattern = PARTIAL_DATE_REGEX

    def read(self, raw, column, context) -> str:
        parsed = parse_partial_date(raw.strip())
        return str(parsed) if parsed else ""

    def write(self, value) -> str:
        return str(value)


@dataclass(frozen=True)
class Qualifier(Choice):
    """How the source bounds a date (institute.dates.DateQualifier), beside the date column
    `date`: written empty where the date is, and an empty cell reads as "on". A bound on no
    date is refused by the entry's own check (Reform.clean)."""

    default: str = "on"
    date: str = ""


class PositiveInteger(Cell):
    free_text = False
    type = "integer"

    def must_have_value(self, column) -> bool:
        return True

    def read(self, raw, column, context) -> int:
        try:
            number = int(raw.strip())
        except ValueError:
            raise ValidationError("must be a whole number") from None
        if number < 1:
            raise ValidationError("must be 1 or more")
        return number


class Url(Cell):
    def read(self, raw, column, context) -> str:
        value = raw.strip()
        if value:
            URLValidator()(value)
        return value


class NotImported(Cell):
    """Written on export (a page's address), ignored on import."""

    imported = False

    def read(self, raw, column, context) -> None:
        return None

    def merge(self, snapshot, value, column, context) -> None:
        pass


@dataclass(frozen=True)
class Key(Cell):
    """Part of a child table's key, checked with the whole row by the table (`check_row`)."""

    vocabulary: list[tuple[str, str]] | None = None

    def read(self, raw, column, context) -> str:
        return raw.strip()


@dataclass(frozen=True)
class Ref(Cell):
    """One entry of another table, by slug: applied as the foreign key's id."""

    target: str = ""  # model label: "institute.Source"
    table: str = ""  # the table it refers to
    noun: str = ""  # "source", for messages
    free_text = False

    @property
    def refers_to(self) -> tuple[str, str]:
        return (self.table, "slug")

    def must_have_value(self, column) -> bool:
        return True

    def read(self, raw, column, context) -> str:
        value = raw.strip()
        if not value:
            raise ValidationError("is required")
        if value not in context.keys(self.target):
            raise ValidationError(f"unknown {self.noun}")
        return value

    def merge(self, snapshot, value, column, context) -> None:
        snapshot[column.field] = context.keys(self.target)[value]


@dataclass(frozen=True)
class Refs(Cell):
    """Several entries of another table (or a vocabulary such as topics), by slug, ';'-joined:
    applied as the many-to-many field's ids."""

    target: str = ""
    table: str | None = None  # None: a vocabulary listed in the codebook, not a table
    noun: str = ""  # "topic(s)"
    multi = True
    free_text = False

    @property
    def refers_to(self) -> tuple[str, str] | None:
        return (self.table, "slug") if self.table else None

    def read(self, raw, column, context) -> list[str]:
        slugs = split(raw)
        known = context.keys(self.target)
        unknown = [s for s in slugs if s not in known]
        if unknown:
            raise ValidationError(f"unknown {self.noun}: {', '.join(unknown)}")
        if len(set(slugs)) != len(slugs):
            raise ValidationError(f"lists the same {self.noun} twice")
        return slugs

    def merge(self, snapshot, value, column, context) -> None:
        keys = context.keys(self.target)
        snapshot[column.field] = sorted(keys[s] for s in value)

    def write(self, value) -> str:
        return join(value)


@dataclass(frozen=True)
class Links(Refs):
    """Entries linked through child rows of the entry (citations of sources, responses to
    recommendations): listed targets are kept or added, unlisted ones removed, except links to
    unpublished targets, which a public file never shows and so cannot mean to remove."""

    child: str = ""  # the snapshot's child list: "citations", "responses"
    key: str = ""  # the child's field naming the target: "source", "recommendation"
    blank: tuple[tuple[str, Any], ...] = ()  # a new child's other fields

    def merge(self, snapshot, value, column, context) -> None:
        keys = context.keys(self.target)
        wanted = [keys[s] for s in value]
        published = context.published(self.target)
        items = [dict(i) for i in snapshot.get(self.child, [])]
        kept = [i for i in items if i[self.key] in set(wanted) or i[self.key] not in published]
        changed = len(kept) != len(items)
        have = {i[self.key] for i in kept}
        for pk in wanted:
            if pk not in have:
                kept.append({**dict(self.blank), self.key: pk})
                have.add(pk)
                changed = True
        # Positions are numbered again only when the list changed: the rows an editor left
        # (all at position 0, as the admin's inline adds them) are what the file was written
        # from, and importing that file again changes nothing.
        if dict(self.blank).get("position") is not None and changed:
            for n, item in enumerate(kept):
                item["position"] = n
        snapshot[self.child] = kept


@dataclass(frozen=True)
class Backlinks(Refs):
    """Entries that link to this one through child rows of their own (the reforms that answer a
    recommendation): written on export, ignored on import, since those rows are the other
    entries' to write, with their review."""

    imported = False

    def read(self, raw, column, context) -> None:
        return None

    def merge(self, snapshot, value, column, context) -> None:
        pass


@dataclass(frozen=True)
class ChildChoices(Cell):
    """Several values of a vocabulary, ';'-joined, each one child row of the entry holding it in
    its field `key` (a reform's secondary areas): the listed rows are the rows, in key order."""

    vocabulary: list[tuple[str, str]] = field(default_factory=list)
    child: str = ""  # the snapshot's child list: "secondary_areas"
    key: str = ""  # the child's field holding the value: "area"
    multi = True
    free_text = False

    def read(self, raw, column, context) -> list[str]:
        values = split(raw)
        allowed = [v for v, _ in self.vocabulary]
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise ValidationError(
                f"unknown value(s) {', '.join(unknown)}; each must be one of {', '.join(allowed)}"
            )
        if len(set(values)) != len(values):
            raise ValidationError("lists the same value twice")
        return values

    def merge(self, snapshot, value, column, context) -> None:
        snapshot[self.child] = [{self.key: v} for v in sorted(value)]

    def write(self, value) -> str:
        return join(value)


TEXT = Cell()


@dataclass(frozen=True)
class Column:
    name: str
    description: str  # lazy text (gettext_lazy): str() it where a file is written
    cell: Cell = TEXT
    required: bool = False
    # How the exported value is read from a row's object (and the base URL of links);
    # by default the attribute of the column's name.
    get: Callable[[Any, str], Any] | None = field(default=None, repr=False, compare=False)
    # The entry's field the column sets on import, when it is not the column's name.
    field_name: str | None = None
    # The exported value as SQL, for exports that PostgreSQL writes (institute.datasets.export):
    # `sql(t, base_url)` gives (expression, params) over `t`, the row's table, equal to what
    # `value()` gives. By default the field's own column; a column with `get` needs its own.
    sql: Callable[[str, str], tuple[str, list]] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def field(self) -> str:
        return self.field_name or self.name

    @property
    def type(self) -> str:
        return self.cell.type

    @property
    def multi(self) -> bool:
        return self.cell.multi

    @property
    def vocabulary(self) -> list[tuple[str, str]] | None:
        return self.cell.vocabulary

    @property
    def pattern(self) -> str | None:
        return self.cell.pattern

    @property
    def refers_to(self) -> tuple[str, str] | None:
        return self.cell.refers_to

    def value(self, obj, base_url: str):
        raw = self.get(obj, base_url) if self.get else getattr(obj, self.name)
        return self.cell.write(raw)

    def schema(self) -> dict:
        """This column as a Frictionless Table Schema field descriptor."""
        out = {"name": self.name, "type": self.type, "description": str(self.description)}
        constraints = {}
        if self.required:
            constraints["required"] = True
        if self.vocabulary and not self.multi:
            constraints["enum"] = [value for value, _ in self.vocabulary]
        if self.pattern and not self.multi:
            constraints["pattern"] = self.pattern.strip("^$")
        if self.type == "integer":
            constraints["minimum"] = 1
        if constraints:
            out["constraints"] = constraints
        return out


def field_max_length(model, name: str) -> int | None:
    try:
        return getattr(model._meta.get_field(name), "max_length", None)
    except FieldDoesNotExist:
        return None


# The languages of the translation columns, as the codebook names them ("The title in Russian";
# "visitors reading Russian").
TRANSLATED_INTO = {
    "ru": pgettext_lazy("codebook: the language of a translation column (in/reading …)", "Russian"),
    "kk": pgettext_lazy("codebook: the language of a translation column (in/reading …)", "Kazakh"),
}


def translation_columns(what: dict[str, str]) -> list[Column]:
    """A table's translation columns, after all of its own: one per language, then per field
    (`title_ru`, `summary_ru`, …, `title_kk`, …; institute.translations). `what` names each
    translated field as the description says it ("The title"; lazy text)."""
    return [
        Column(
            f"{name}_{language}",
            interpolate_lazy(
                gettext_lazy(
                    "%(what)s in %(language)s, as the institute translated it (official titles "
                    "of laws may differ); empty until translated, when visitors reading "
                    "%(language)s are shown `%(column)s`."
                ),
                {"what": described, "language": TRANSLATED_INTO[language], "column": name},
            ),
        )
        for language in TRANSLATED_INTO
        for name, described in what.items()
    ]
