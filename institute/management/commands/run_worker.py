"""The background worker, supervised: django-tasks-db's worker loop that survives the database.

`db_worker` exits on the first database error (a restart, a dropped connection, an outage);
this command closes the broken connections, waits (1 s, doubling to 30 s) and starts the loop
again. A thread of its own sweeps import jobs whose worker died
(institute.datasets.jobs.sweep_import_jobs) when it starts and every IMPORT_JOB_SWEEP_SECONDS;
another makes the data package and the tables' files of the content as it is now, when it changed
(institute.datasets.finished_files.prebuild), every DATA_PACKAGE_PREBUILD_SECONDS.
"""

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection, connections
from django_tasks_db.management.commands.db_worker import Worker

from institute.datasets.finished_files import prebuild
from institute.datasets.jobs import DATABASE_ERRORS, sweep_import_jobs

logger = logging.getLogger("institute.worker")
MAX_BACKOFF = 30.0


def every(stopped: threading.Event, seconds: str, work: Callable[[], None], skipped: str) -> None:
    """Run `work` now and then every `seconds` (the name of a setting) until `stopped`, on this
    thread's own connection; a database that is away skips a turn (`skipped` says which)."""
    try:
        while True:
            try:
                work()
            except DATABASE_ERRORS as exc:
                logger.warning("%s, database unavailable: %s", skipped, exc)
                connection.close()
            if stopped.wait(getattr(settings, seconds)):
                return
    finally:
        connection.close()


def sweep() -> None:
    done = sweep_import_jobs()
    if done["failed"] or done["files_deleted"]:
        logger.info("Swept import jobs: %s", done)


def make_package() -> None:
    if prebuild():
        logger.info("Data package and table files made for the content as it is now")


class Command(BaseCommand):
    help = (
        "Run the background worker (large admin imports, the data package and table files after "
        "each change), "
        "reconnecting after database errors and marking imports whose worker died as failed "
        "and retryable."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")
        parser.add_argument(
            "--batch", action="store_true", help="Run the queued tasks, then exit (for tests)."
        )

    def handle(self, *args, interval, batch, **options):
        worker_id = f"{socket.gethostname()}-{os.getpid()}"[:64]
        stopped = threading.Event()
        if batch:
            sweep_import_jobs()
            prebuild()
        else:
            for seconds, work, skipped in (
                ("IMPORT_JOB_SWEEP_SECONDS", sweep, "Sweep skipped"),
                ("DATA_PACKAGE_PREBUILD_SECONDS", make_package, "Data package not made"),
            ):
                threading.Thread(
                    target=every, args=(stopped, seconds, work, skipped), daemon=True
                ).start()
        backoff = 1.0
        down_since = None
        try:
            while True:
                worker = Worker(
                    queue_names=settings.TASKS["default"].get("QUEUES", ["default"]),
                    interval=interval,
                    batch=batch,
                    backend_name="default",
                    startup_delay=False,
                    max_tasks=None,
                    worker_id=worker_id,
                    excluded_queue_names=[],
                )
                worker.configure_signals()
                started = time.monotonic()
                try:
                    close_old_connections()
                    connection.ensure_connection()
                    if down_since is not None:
                        logger.warning(
                            "Database back after %.1f s; worker running again",
                            time.monotonic() - down_since,
                        )
                        down_since = None
                    worker.run()
                    return
                except DATABASE_ERRORS as exc:
                    if batch:
                        raise  # a one-off run reports the error; only the service keeps going
                    if time.monotonic() - started > MAX_BACKOFF:
                        backoff = 1.0  # it had been running: a new outage starts afresh
                    down_since = down_since or time.monotonic()
                    logger.warning(
                        "Database unavailable (%s); reconnecting in %.0f s",
                        str(exc).strip() or type(exc).__name__,
                        backoff,
                    )
                    for conn in connections.all():
                        with contextlib.suppress(*DATABASE_ERRORS):
                            conn.close()
                    time.sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
        finally:
            stopped.set()
