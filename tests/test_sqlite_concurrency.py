"""SQLite takes concurrent writers (runserver's threads and db_worker) without "database is locked".

The test database on SQLite is in memory, so these tests open their own file database with the
project's own settings (institute.settings.base), through Django's connection machinery: if the
settings lose their SQLite OPTIONS, the tests fail. On PostgreSQL they are skipped.
"""

import copy
import threading

import pytest
from django.db import connections, transaction
from django.db.utils import ConnectionHandler

from institute.settings import base

SQLITE = "django.db.backends.sqlite3"

pytestmark = pytest.mark.skipif(
    base.DATABASES["default"]["ENGINE"] != SQLITE, reason="SQLite settings only (DATABASE_URL)"
)


@pytest.fixture
def file_databases(tmp_path, django_db_blocker):
    """Aliases on one SQLite file, each with the project's settings dict: "default" to set up
    and check, "a" and "b" for two writers."""
    settings_dict = copy.deepcopy(base.DATABASES["default"])
    settings_dict["NAME"] = str(tmp_path / "concurrency.sqlite3")
    handler = ConnectionHandler(
        {alias: copy.deepcopy(settings_dict) for alias in ("default", "a", "b")}
    )
    with django_db_blocker.unblock():
        with handler["default"].cursor() as cursor:
            cursor.execute("CREATE TABLE saves (id INTEGER PRIMARY KEY, writer TEXT NOT NULL)")
        yield handler
        handler.close_all()


def test_sqlite_connection_uses_wal_and_waits_for_the_lock(file_databases):
    with file_databases["default"].cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 1  # NORMAL: safe with WAL, no fsync on every commit
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 10_000  # milliseconds a writer waits for another
    assert file_databases["default"].transaction_mode == "IMMEDIATE"


def test_two_writers_at_once_both_succeed(file_databases):
    """Each writer reads, then writes, in one transaction (what an admin save does). A reads
    first; B starts while A's transaction is open. With deferred transactions B's write fails
    at once ("database is locked": its read snapshot is stale, or the locks deadlock); with
    IMMEDIATE transactions B waits at BEGIN until A commits, then sees A's row."""
    a_has_read = threading.Event()
    b_has_read = threading.Event()
    seen = {}
    errors = []

    def writer(alias, before, after):
        # This thread's connection, under a name transaction.atomic() can look up (the alias is
        # set for this thread only).
        connection = file_databases[alias]
        name = f"sqlite_concurrency_{alias}"
        connections[name] = connection
        try:
            if before is not None:
                assert before.wait(timeout=10)
            with transaction.atomic(using=name), connection.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM saves")
                seen[alias] = cursor.fetchone()[0]
                after.set()
                if alias == "a":
                    # Give B the chance to start its transaction while this one is open.
                    b_has_read.wait(timeout=1)
                cursor.execute("INSERT INTO saves (writer) VALUES (%s)", [alias])
                if alias == "a":
                    threading.Event().wait(0.3)  # hold the write lock for a moment
        except Exception as exc:  # reported below, with its message
            errors.append(f"{alias}: {type(exc).__name__}: {exc}")
        finally:
            del connections[name]
            connection.close()

    threads = [
        threading.Thread(target=writer, args=("a", None, a_has_read)),
        threading.Thread(target=writer, args=("b", a_has_read, b_has_read)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert seen == {"a": 0, "b": 1}  # B waited for A's commit, then read after it
    with file_databases["default"].cursor() as cursor:
        cursor.execute("SELECT writer FROM saves ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == ["a", "b"]
