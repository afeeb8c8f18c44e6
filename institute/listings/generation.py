"""A cheap marker of the public content: it changes with every write to a table a listing reads.

Each statement that writes one of the tables listed in migration reforms/0009 adds one to a
counter (database triggers), in the writer's own transaction, so a reader sees the new value
exactly when it sees the new rows: whatever was computed and cached under an older value is
never read again. On PostgreSQL the counter has 16 slots, picked by the writer's backend, so
that writers in concurrent transactions rarely wait on one row; the marker is their sum, which
only grows.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

from django.db import (
    DEFAULT_DB_ALIAS,
    InterfaceError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.backends.postgresql.base import ServerBindingCursor

from institute.editorial.models import EntryVersion, ReviewEvent

TABLE = "listing_generation"


def generation(*, using: str = DEFAULT_DB_ALIAS) -> int:
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT coalesce(sum(value), 0) FROM {TABLE}")
        return int(cursor.fetchone()[0])


def move_past(floor: int | None, *, using: str = DEFAULT_DB_ALIAS) -> int:
    """Move the generation on past `floor` and past the time now in milliseconds since 1970,
    whichever is more; return it.

    For a restore (institute.backups), which brings back the backup's generation, lower than
    the one it replaces: without this, the writes after it count through values already
    counted, and the content they make is given a marker the replaced content had (the same
    generation, newest version and review event: the same publishes give them), under which
    answers, finished files and first sightings are kept outside the database. What a restore
    took away would then be served again. `floor` is the generation before the restore, None
    where it could not be read (a database restored into afresh): past the time, which no
    generation reaches written fewer than once a millisecond, whatever it was. A database made
    afresh starts past the time too (migration reforms/0026), for the same reason."""
    target = max((floor or 0) + 1, int(time.time() * 1000))
    with transaction.atomic(using=using):
        now = generation(using=using)
        if now < target:
            with connections[using].cursor() as cursor:
                cursor.execute(
                    f"UPDATE {TABLE} SET value = value + %s WHERE slot = 0", [target - now]
                )
    return max(now, target)


def content_marker() -> str:
    """The public content's state, in one query: the database, the generation, the newest
    version and review event (a database made afresh, whose generation starts again, does not
    meet what was kept under the one before). The data package and the API's ETags key on it.

    It is the first query of every public request (institute.page_cache), and on a connection
    kept from an earlier request it is that connection's health check too (CONN_HEALTH_CHECKS):
    Django would send `SELECT 1` before it, a second round trip on every answer the cache
    gives. A kept connection the database has dropped fails this read instead, which is then
    asked again on a new connection, as Django's check would have had it; a database that is
    down fails both, and the caller answers as it does for any database error."""
    if _is_the_health_check():
        connection.health_check_done = True
        try:
            return _read_marker()
        except (InterfaceError, OperationalError):
            if connection.is_usable():
                raise  # the query failed, not the connection
            connection.close()
    return _read_marker()


def _is_the_health_check() -> bool:
    """Whether this is the first query on a kept connection that Django would check first; not
    inside a transaction, whose connection cannot be replaced."""
    return (
        connection.connection is not None
        and connection.health_check_enabled
        and not connection.health_check_done
        and not connection.in_atomic_block
    )


def marker_sql() -> str:
    """The marker's one statement, without parameters: the generation, the newest version and
    the newest review event."""
    versions, events = EntryVersion._meta.db_table, ReviewEvent._meta.db_table
    return (
        f"SELECT (SELECT coalesce(sum(value), 0) FROM {TABLE}), "
        f"(SELECT max(id) FROM {versions}), (SELECT max(id) FROM {events})"
    )


def _read_marker() -> str:
    with _marker_cursor() as cursor:
        cursor.execute(marker_sql())
        generation_now, version, event = cursor.fetchone()
    return f"{connection.settings_dict['NAME']}|{generation_now}|{version}|{event}"


@contextmanager
def _marker_cursor():
    """A cursor for the marker's statement: on PostgreSQL, Django's wrapper (logged, its errors
    Django's) over a psycopg cursor that binds on the server and asks PostgreSQL to keep the
    statement prepared on the connection.

    The marker's three subqueries cost PostgreSQL more to plan than to run: planned once per
    connection, PostgreSQL's CPU per cached answer under `make load` halved (benchmarks/README.md,
    section 4). Django's own cursors bind on the client, which psycopg never prepares, so this
    is the site's one prepared statement; with DATABASE_PREPARED_STATEMENTS=0 (for a pooler that
    cannot hold them) the connection's `prepare_threshold` is None and psycopg sends it plainly."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            yield cursor
            return
        raw = _PreparingCursor(cursor.cursor.connection)
        with type(cursor)(raw, cursor.db) as prepared:
            yield prepared


class _PreparingCursor(ServerBindingCursor):
    """psycopg's cursor that binds on the server, asking for each statement to be prepared."""

    def execute(self, query, params=None, *, prepare=True, binary=None):
        super().execute(query, params, prepare=prepare, binary=binary)
        # The statement's text where Django's query log reads it (`last_executed_query` reads a
        # client-binding cursor's `_query`; this one keeps none once prepared).
        self._query = self._convert_query(query, params)
        return self
