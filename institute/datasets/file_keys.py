"""The keys of an import's rows read so far, and the line of each, kept in a temporary table of
the import's own connection rather than in memory: a file of a million rows is checked for a
key that appears twice without holding its keys (institute.datasets.clean).

Made inside the import's transaction and dropped at its end; a rollback drops it too (both
databases undo a temporary table's creation with the transaction).
"""

from __future__ import annotations

from django.db import connection

from institute.binding_cursor import binding_cursor

TABLE = "import_file_keys"
# Keys asked about in one statement: far under SQLite's limit of bound parameters.
ASK_BATCH = 1000
# A key joins a row's key columns with a character no cell may hold (control characters are
# refused in every cell: institute.control_characters).
SEPARATOR = "\x1f"


class FileKeys:
    """`claim(first)`: the keys read now; the line where each was read before, if it was."""

    def __enter__(self) -> FileKeys:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
            cursor.execute(f"CREATE TEMPORARY TABLE {TABLE} (key text PRIMARY KEY, line integer)")
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        # After an error the transaction is rolled back, which takes the table with it (and on
        # PostgreSQL refuses any statement until then).
        if exc_type is None:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {TABLE}")

    def claim(self, first: dict[str, int]) -> dict[str, int]:
        """`first`: keys read now, each with its first line. Returns the line where each of them
        was read before, if it was; the others are kept, with their line, for the next call."""
        if not first:
            return {}
        if connection.vendor == "postgresql":
            # One statement: the keys and lines go as two arrays, bound apart from the text (a
            # thousand parameters split the statement's text at each, and Django quotes each
            # value into it). The SELECT sees the table as it was before the INSERT beside it
            # (PostgreSQL runs a statement's parts on one snapshot): only earlier keys.
            keep, read_before = claimed_with("n")
            with binding_cursor() as cursor:
                cursor.execute(
                    "WITH n AS (SELECT * FROM unnest(%b::text[], %b::int[]) AS n(key, line)), "
                    f"{keep} SELECT n.key, earlier.line FROM n {read_before} "
                    "WHERE earlier.line IS NOT NULL",
                    [list(first), list(first.values())],
                )
                return dict(cursor.fetchall())
        keys = list(first)
        earlier: dict[str, int] = {}
        with connection.cursor() as cursor:
            for start in range(0, len(keys), ASK_BATCH):
                batch = keys[start : start + ASK_BATCH]
                marks = ", ".join(["%s"] * len(batch))
                cursor.execute(f"SELECT key, line FROM {TABLE} WHERE key IN ({marks})", batch)
                earlier.update(cursor.fetchall())
            cursor.executemany(
                f"INSERT INTO {TABLE} (key, line) VALUES (%s, %s)",
                [(key, line) for key, line in first.items() if key not in earlier],
            )
        return earlier


def claimed_with(rows: str, when: str = "true") -> tuple[str, str]:
    """`claim`'s statement in two parts of a statement (PostgreSQL), for the keys of `rows`, a
    query of (key, line) named in that statement's WITH: a CTE that keeps them, each with its
    first line, if the SQL condition `when` holds, and a lateral subquery for the line where
    each key was read before (`earlier.line`, NULL if it was not), which sees the table as it
    was before the statement (PostgreSQL runs a statement's parts on one snapshot)."""
    keep = (
        f"kept AS (INSERT INTO {TABLE} (key, line) SELECT key, min(line) FROM {rows} "
        f"WHERE {when} GROUP BY key ON CONFLICT (key) DO NOTHING)"
    )
    # Lateral and kept apart (OFFSET 0): a probe of the key's index a row, whatever the planner
    # thinks of a table it has no figures for.
    earlier = (
        f"LEFT JOIN LATERAL (SELECT t.line FROM {TABLE} t WHERE t.key = {rows}.key OFFSET 0) "
        "earlier ON true"
    )
    return keep, earlier


def joined(key: tuple) -> str:
    return SEPARATOR.join(str(k) for k in key)
