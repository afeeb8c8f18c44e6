"""What PostgreSQL plans for a query: the tests that an index answers a query ask it here."""

import pytest
from django.db import connection, transaction

# The mark of every such test: SQLite's indexes are others.
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="an index of PostgreSQL's"
)


def plan_of(queryset, *, off: tuple[str, ...] = ()) -> str:
    """`EXPLAIN` of the queryset's own SQL, the text of every line, with the plans named in
    `off` (`seqscan`, `bitmapscan`, `indexscan`, `sort`…) turned off for it alone: over the few
    rows of a test those are often cheapest, where the index is what a large table needs."""
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        for plan in off:
            cursor.execute(f"SET LOCAL enable_{plan} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(line for (line,) in cursor.fetchall())
