"""A cheap marker of the public content: it changes with every write to a table a listing reads.

Each statement that writes one of the tables listed in migration reforms/0009 adds one to a
counter (database triggers), in the writer's own transaction, so a reader sees the new value
exactly when it sees the new rows: whatever was computed and cached under an older value is
never read again. On PostgreSQL the counter has 16 slots, picked by the writer's backend, so
that writers in concurrent transactions rarely wait on one row; the marker is their sum, which
only grows.
"""

from __future__ import annotations

from django.db import connection

TABLE = "listing_generation"


def generation() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(sum(value), 0) FROM {TABLE}")
        return int(cursor.fetchone()[0])
