"""A cheap marker of the public content: it changes with every write to a table a listing reads.

Each statement that writes one of the tables listed in migration reforms/0009 adds one to a
counter (database triggers), in the writer's own transaction, so a reader sees the new value
exactly when it sees the new rows: whatever was computed and cached under an older value is
never read again. On PostgreSQL the counter has 16 slots, picked by the writer's backend, so
that writers in concurrent transactions rarely wait on one row; the marker is their sum, which
only grows.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError, connection

from institute.editorial.models import EntryVersion, ReviewEvent

TABLE = "listing_generation"


def generation() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(sum(value), 0) FROM {TABLE}")
        return int(cursor.fetchone()[0])


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
    with connection.cursor() as cursor:
        cursor.execute(marker_sql())
        generation_now, version, event = cursor.fetchone()
    return f"{connection.settings_dict['NAME']}|{generation_now}|{version}|{event}"
