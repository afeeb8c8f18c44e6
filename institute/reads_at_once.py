"""Two reads of one moment at once, on two database connections (PostgreSQL).

A search nobody asked before costs two long reads that do not depend on each other: its facet
counts and its ranked page. One connection runs them one after the other, on one of the
machine's cores. Here the second runs on a connection of its own, on a thread of its own, while
the first goes on: the request's connection exports its snapshot (`pg_export_snapshot`, inside
a REPEATABLE READ transaction: `institute.editorial.as_of.one_snapshot`) and the other
connection reads in it (`SET TRANSACTION SNAPSHOT`), so both answers are of the same moment,
and a publish committed meanwhile reaches neither.

It cannot be (`possible()`) on SQLite; on a connection already inside a transaction, whose
own writes another connection could not see (a test's, or a read as the data stood at a
moment); or with LISTING_READS_AT_ONCE off. The caller then reads one after the other.

The thread opens its own connection (Django's are per thread) and closes it when its read
ends; the block does not end before it has, whatever happens in it. A connection the server
refuses (its `max_connections` reached by a crowd of new searches, say) costs only the speed:
the read is then made on this connection, in the same snapshot, when its result is asked for,
and a warning is logged. An error once the other connection reads (the database gone away) is
raised where its result is asked for, as if the read had been made here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction

from institute.editorial.as_of import one_snapshot

T = TypeVar("T")
logger = logging.getLogger(__name__)

# What the other thread gives back when it could not open its connection.
_NOT_READ = object()


def possible() -> bool:
    """Whether a read can run on another connection in this one's snapshot."""
    return (
        settings.LISTING_READS_AT_ONCE
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    )


@contextmanager
def reads_at_once() -> Iterator[Callable[[Callable[[], T]], Callable[[], T]]]:
    """A block in which `beside(work)` begins `work()` on another connection, in the snapshot
    of this one's reads in the block, and returns what waits for its result (see the module),
    to be asked inside the block. Only where `possible()`."""
    assert possible(), "another connection cannot read in this one's snapshot"
    futures: list[Future] = []
    with one_snapshot():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()

        def beside(work: Callable[[], T]) -> Callable[[], T]:
            future: Future = Future()
            future.set_running_or_notify_cancel()
            threading.Thread(
                target=_read, args=(work, snapshot, future), name="read-at-once", daemon=True
            ).start()
            futures.append(future)

            def result() -> T:
                found = future.result()
                # Still inside the block, so in the same snapshot, on this connection.
                return work() if found is _NOT_READ else found

            return result

        try:
            yield beside
        finally:
            # The snapshot is the transaction's: it must outlive every read made in it.
            for future in futures:
                future.exception()


def _read(work: Callable[[], T], snapshot: str, future: Future) -> None:
    try:
        try:
            connection.ensure_connection()
        except DatabaseError as error:
            logger.warning("A read at once is made one after the other: %s", error)
            future.set_result(_NOT_READ)
            return
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
            result = work()
        future.set_result(result)
    except BaseException as error:
        future.set_exception(error)
    finally:
        connections.close_all()
