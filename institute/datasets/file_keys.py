"""The keys of an import's rows read so far, and the line of each, kept in a temporary table of
the import's own connection rather than in memory: a file of a million rows is checked for a
key that appears twice without holding its keys (institute.datasets.clean).

Made inside the import's transaction and dropped at its end; a rollback drops it too (both
databases undo a temporary table's creation with the transaction).
"""

from __future__ import annotations

from django.db import connection

TABLE = "import_file_keys"
# Keys asked about in one statement: far under SQLite's limit of bound parameters.
ASK_BATCH = 1000
# A key joins a row's key columns with a character no cell may hold (control characters are
# refused in every cell: institute.control_characters).
SEPARATOR = "\x1f"


class FileKeys:
    """`earlier(keys)`: the line where each key was first read; `add(pairs)`: keys read now."""

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

    def earlier(self, keys: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One array, not a thousand parameters: psycopg splits a statement's text at
                # each of them, which was most of this check's time.
                cursor.execute(f"SELECT key, line FROM {TABLE} WHERE key = ANY(%s)", [keys])
                return dict(cursor.fetchall())
            for start in range(0, len(keys), ASK_BATCH):
                batch = keys[start : start + ASK_BATCH]
                marks = ", ".join(["%s"] * len(batch))
                cursor.execute(f"SELECT key, line FROM {TABLE} WHERE key IN ({marks})", batch)
                found.update(cursor.fetchall())
        return found

    def add(self, pairs: list[tuple[str, int]]) -> None:
        if not pairs:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # psycopg's own cursor: Django's wrapper of copy() takes no statement options.
                with cursor.cursor.copy(f"COPY {TABLE} (key, line) FROM STDIN") as copy:
                    for pair in pairs:
                        copy.write_row(pair)
            else:
                cursor.executemany(f"INSERT INTO {TABLE} (key, line) VALUES (%s, %s)", pairs)


def joined(key: tuple) -> str:
    return SEPARATOR.join(str(k) for k in key)
