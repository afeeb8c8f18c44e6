"""The published tables, each defined once by the package that owns it (`<app>/datasets/`,
`institute/sources/datasets.py`, which institute.apps imports at startup) and registered here:
its columns (institute.datasets.columns), what the public rows are, and how a file of it is
imported.

The public exports, the data package and its `datapackage.json`, the codebook on /data/ and the
importer all read TABLES, so a column cannot mean one thing in one place and another elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Model, QuerySet
from django.urls import reverse

from institute.datasets.columns import Column
from institute.editorial.states import PUBLISHED

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# What escape_formula puts an apostrophe before (institute.datasets.export says it in SQL too).
ESCAPED_FIRST = frozenset((*FORMULA_TRIGGERS, "'"))


def _unchanged(queryset: QuerySet, *, public: bool = True) -> QuerySet:
    return queryset


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    model: str  # the label of the model a row is: "reforms.Reform"
    columns: list[Column]
    primary_key: list[str]
    # The rows the public may read, in the file's order (`prepare` adds what a row reads).
    queryset: Callable[[], QuerySet] = field(repr=False)
    # What a row reads, fetched in a fixed number of queries; `public=False` for editors' files
    # (links to unpublished entries included).
    prepare: Callable[..., QuerySet] = field(repr=False, default=_unchanged)
    position: int = 0  # order in the data package and on /data/
    import_permission: str = ""  # the right importing a file of this table takes
    # Import hooks. `plan(plan, rows, lookups)` plans a child table's rows (entry tables, keyed
    # by slug, are planned by institute.datasets.plan.plan_entries); `check_row(row, line,
    # lookups)` returns the problems of one cleaned row beyond its cells; `check_rows(rows,
    # lookups)` those between rows and stored data.
    plan: Callable | None = field(repr=False, default=None)
    check_row: Callable | None = field(repr=False, default=None)
    check_rows: Callable | None = field(repr=False, default=None)

    @property
    def streams(self) -> bool:
        """Whether a file of this table can be imported a part at a time: each row is one
        entry, planned on its own (no `plan` of the table's own, whose rows of one entry may be
        anywhere in the file, and no `check_rows` across them)."""
        return self.plan is None and self.check_rows is None

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    def get_model(self) -> type[Model]:
        return apps.get_model(self.model)

    def row(self, obj, base_url: str) -> list:
        return [column.value(obj, base_url) for column in self.columns]

    def foreign_keys(self) -> list[dict]:
        return [
            {
                "fields": c.name,
                "reference": {"resource": c.refers_to[0], "fields": c.refers_to[1]},
            }
            for c in self.columns
            if c.refers_to and not c.multi
        ]


TABLES: dict[str, Table] = {}


def register(*tables: Table) -> None:
    """Add tables to TABLES, which stays in their `position` order."""
    merged = {**TABLES, **{t.name: t for t in tables}}
    TABLES.clear()
    TABLES.update(sorted(merged.items(), key=lambda item: item[1].position))


def table_rows(table: Table, queryset: QuerySet, *, base_url: str) -> Iterator[list]:
    """Every row of `queryset` as the table's cells, read in chunks from a server-side cursor."""
    for obj in queryset.iterator(chunk_size=500):
        yield table.row(obj, base_url)


def escape_formula(value: str) -> str:
    """Make a cell inert in a spreadsheet; `unescape_formula` undoes exactly this.

    A leading apostrophe is escaped too, so that "'abc" and an escaped "abc" never meet.
    """
    if value and value[0] in ESCAPED_FIRST:
        return "'" + value
    return value


def unescape_formula(value: str) -> str:
    if len(value) > 1 and value[0] == "'" and value[1:].startswith((*FORMULA_TRIGGERS, "'")):
        return value[1:]
    return value


def absolute(path: str, base_url: str) -> str:
    return base_url.rstrip("/") + path


# --- columns as SQL (see Column.sql) ------------------------------------------------------------
def page_url_sql(urlname: str) -> Callable[[str, str], tuple[str, list]]:
    """A `url` column in SQL: the address of the row's public page, `urlname` by slug."""

    def sql(t: str, base_url: str) -> tuple[str, list]:
        marker = "0slug0"  # a slug that reverse() accepts and that no path otherwise holds
        before, after = reverse(urlname, kwargs={"slug": marker}).split(marker)
        return f'%s || {t}."slug" || %s', [absolute(before, base_url), after]

    return sql


def slugs_sql(
    link: type[Model] | str,
    owner: str,
    target: str,
    *,
    published: bool = False,
    distinct: bool = False,
    code_point_order: bool = True,
) -> Callable[[str, str], tuple[str, list]]:
    """A column of linked entries' slugs, ';'-joined, in SQL: the `target` ends of the `link`
    rows whose `owner` is the row. `published` keeps only published targets (as the public
    rows do); `code_point_order` sorts as Python's sorted() does, else in the database's
    collation (what an `order_by` in a prefetch gives)."""

    def sql(t: str, base_url: str) -> tuple[str, list]:
        model = apps.get_model(link) if isinstance(link, str) else link
        owner_field, target_field = model._meta.get_field(owner), model._meta.get_field(target)
        other = target_field.related_model._meta.db_table
        order = 's COLLATE "C"' if code_point_order else "s"
        where, params = "", []
        if published:
            where, params = ' AND x."review_state" = %s', [PUBLISHED]
        return (
            f"(SELECT coalesce(string_agg(s, ';' ORDER BY {order}), '') FROM "
            f'(SELECT {"DISTINCT " if distinct else ""}x."slug" AS s FROM {model._meta.db_table} l '
            f'JOIN {other} x ON x."id" = l."{target_field.column}" '
            f'WHERE l."{owner_field.column}" = {t}."id"{where}) d)',
            params,
        )

    return sql


def kept_sql(column: str) -> Callable[[str, str], tuple[str, list]]:
    """A cell the database keeps written on the row, as the file writes it, by triggers (see
    reforms/0022): read as it is, where working it out would take a subquery a row."""

    def sql(t: str, base_url: str) -> tuple[str, list]:
        return f'{t}."{column}"', []

    return sql


def ref_slug_sql(model_label: str, field_name: str) -> Callable[[str, str], tuple[str, list]]:
    """A foreign key's slug in SQL."""

    def sql(t: str, base_url: str) -> tuple[str, list]:
        fk = apps.get_model(model_label)._meta.get_field(field_name)
        other = fk.related_model._meta.db_table
        return f'(SELECT x."slug" FROM {other} x WHERE x."id" = {t}."{fk.column}")', []

    return sql
