"""The link cells PostgreSQL keeps on a reform's row, read by the counts that read every row.

A search's facet counts read every published reform the search matches (17,983 for "police
court" at 1M), and each fact they ask through a relation costs a hashed subquery or a join over
all of them: whether the reform answers a published recommendation, the areas it is filed under
besides its own, its topics. The row holds those facts already, as the data files write them
(migration reforms/0022: the slugs of its topics, of the published recommendations of published
reports it answers and of its secondary areas, ';'-joined, kept by triggers in the writer's
transaction), so on PostgreSQL the counts read them there: the same rows, without the subquery.
A search's topics are counted in the same grouped query as the other facets, each group's topic
cells joined (`topics_in_groups`), so that its matches are read once; other rows' topics by a
query of their own (`topic_counts`). The listing's filters of topics and of responses keep
the subqueries, which an index answers better when they narrow the rows; its area filter reads
the secondary areas here too, through a GIN index of the cell (reforms/0027), which PostgreSQL
combines with a search's index or another filter's. SQLite keeps no such cells and asks the
relations.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.contrib.postgres.aggregates import StringAgg
from django.db import connection
from django.db.models import BooleanField, Expression, Q, QuerySet, TextField

TOPICS = "export_topics"
RESPONDS_TO = "export_responds_to"
SECONDARY_AREAS = "export_secondary_areas"


def kept() -> bool:
    """Whether this database keeps the cells (PostgreSQL, by triggers)."""
    return connection.vendor == "postgresql"


class _Cell(Expression):
    """One of the cells of the query's own reform row ("" when it lists nothing)."""

    output_field = TextField()

    def __init__(self, column: str):
        super().__init__()
        self.column = column

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return f"{table}.{connection.ops.quote_name(self.column)}", []


class _Lists(Expression):
    """The cell lists something (`values` None), or one of `values`."""

    output_field = BooleanField()

    def __init__(self, column: str, values: list[str] | None = None):
        super().__init__()
        self.cell, self.values = _Cell(column), values

    def get_source_expressions(self):
        return [self.cell]

    def set_source_expressions(self, exprs):
        (self.cell,) = exprs

    def as_sql(self, compiler, connection):
        cell, params = compiler.compile(self.cell)
        if self.values is None:
            return f"{cell} <> ''", params
        # An empty cell is the empty array, which overlaps nothing.
        return f"string_to_array({cell}, ';') && %s::text[]", [*params, list(self.values)]


def answers() -> Q:
    """The reform answers a published recommendation of a published report."""
    return Q(_Lists(RESPONDS_TO))


def in_secondary_areas(slugs: list[str]) -> Q:
    """The reform is filed under one of `slugs` as a secondary area."""
    return Q(_Lists(SECONDARY_AREAS, [str(s) for s in slugs]))


def has_topic(slugs: list[str]) -> Q:
    """The reform has one of the topics `slugs`."""
    return Q(_Lists(TOPICS, [str(s) for s in slugs]))


def topic_counts(rows: QuerySet) -> list[tuple[str, int]]:
    """(topic slug, how many of `rows` have it), for the topics at least one of them has."""
    inner = rows.order_by().annotate(_topics=_Cell(TOPICS)).values("_topics")
    sql, params = inner.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t, count(*) FROM ({sql}) s "
            f"CROSS JOIN LATERAL unnest(string_to_array(s._topics, ';')) t GROUP BY t",
            params,
        )
        return cursor.fetchall()


def topics_in_groups(condition: Q | None) -> StringAgg:
    """The topic cells of a group's rows that meet `condition`, joined: counted by
    `count_topics`, in the facet counts' grouped query rather than by a second read of the
    rows (institute.listings.filters.FacetedFilterSet.related_facet_in_groups)."""
    return StringAgg(_Cell(TOPICS), ";", filter=condition)


def count_topics(joined: str | None) -> Iterable[tuple[str, int]]:
    """(topic slug, how many rows list it) from `topics_in_groups`'s result: a row lists a
    topic once."""
    return ((slug, n) for slug, n in Counter((joined or "").split(";")).items() if slug)
