"""Background imports: the admin hands a large file to the worker (`manage.py run_worker`).

An import is all or nothing (one transaction), so a worker killed mid-job has written nothing;
what must not happen is a job that says "running" forever. Each attempt writes a heartbeat from
a thread of its own (its own database connection: the import's transaction would hide it), and
the sweep marks a running job whose heartbeat has stopped as failed, and retryable. The sweep
runs when a worker starts, every `IMPORT_JOB_SWEEP_SECONDS` while it runs, and when the job's
page is viewed.
"""

import logging
import os
import socket
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from institute.datasets.importer import failed_rows_csv, run_import
from institute.datasets.models import ImportJob
from institute.datasets.parse import ImportRefused, parse
from institute.datasets.tables import TABLES

logger = logging.getLogger(__name__)
# What a busy or lost database raises: OperationalError & co., and InterfaceError ("connection
# already closed") from a connection the server dropped.
DATABASE_ERRORS = (DatabaseError, InterfaceError)

WORKER_STOPPED = (
    "The worker stopped while importing this file (killed, or its machine restarted). The "
    "import is all or nothing, so nothing was written. Retry it."
)
DATABASE_LOST = (
    "The connection to the database was lost while importing this file. The import is all or "
    "nothing, so nothing was written. Retry it."
)


class WorkerStopped(Exception):
    """Recorded on a dead attempt's django-tasks row (its worker never recorded an outcome)."""


# The jobs this process is running now: a stale job that names this process as its worker but
# is not here has lost its attempt (a database error ended it before its outcome was written).
_RUNNING_HERE: set[int] = set()


def report_json(report) -> dict:
    return {
        "summary": report.summary(),
        "counts": dict(report.counts),
        "notices": report.notices,
        "rows": [
            {"line": o.line, "key": o.key, "action": o.action}
            for o in report.outcomes
            if o.action != "unchanged"
        ][:1000],
    }


def refusal_json(exc: ImportRefused, data: bytes, table: str) -> dict:
    out = {"problems": [str(p) for p in exc.problems]}
    if exc.rows:
        header = parse(data, table=TABLES[table]).header
        out["failed_rows_csv"] = failed_rows_csv(header, exc.rows, exc.problems)
    return out


class Heartbeat:
    """Writes `heartbeat_at` of one job every `IMPORT_JOB_HEARTBEAT_SECONDS` until stopped, with
    the import's progress as last told (`progress`): from its own thread, so its own connection,
    which commits at once while the import's transaction is still open."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.progress: dict = {}  # stage, done, total
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"heartbeat-{job_id}", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopped.set()
        self.thread.join()

    def _beat(self) -> None:
        try:
            while not self.stopped.wait(settings.IMPORT_JOB_HEARTBEAT_SECONDS):
                try:
                    ImportJob.objects.filter(pk=self.job_id).update(
                        heartbeat_at=timezone.now(), **self.progress
                    )
                except DATABASE_ERRORS as exc:  # a busy or lost database: try again next beat
                    logger.warning("Heartbeat of import job %s not written: %s", self.job_id, exc)
                    connection.close()  # a broken connection is not reused: reconnect next beat
        finally:
            connection.close()  # this thread's own connection


@task()
def run_import_job(job_id: int) -> str:
    """Run one queued import; its row tells the job page how far it got and how it ended."""
    job = ImportJob.objects.get(pk=job_id)
    job.attempts += 1
    started = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING,
        heartbeat_at=timezone.now(),
        worker_host=socket.gethostname()[:255],
        worker_pid=os.getpid(),
        attempts=job.attempts,
    )
    if not started:  # a task queued twice, or a job already running or finished
        logger.warning("Import job %s is %s, not queued: not run again", job_id, job.status)
        return job.status
    data = bytes(job.data)
    _RUNNING_HERE.add(job_id)
    try:
        return _run(job, data)
    finally:
        _RUNNING_HERE.discard(job_id)


def _run(job: ImportJob, data: bytes) -> str:
    job_id = job.pk

    with Heartbeat(job_id) as heartbeat:

        def progress(stage: str, done: int, total: int) -> None:
            heartbeat.progress = {"stage": stage, "done": done, "total": total}
            # Inside the import's transaction a write would show only when it commits: the
            # heartbeat writes it from its own connection.
            if not transaction.get_connection().in_atomic_block:
                ImportJob.objects.filter(pk=job_id).update(**heartbeat.progress)

        try:
            report = run_import(
                table=job.table,
                data=data,
                by=job.created_by,
                dry_run=job.dry_run,
                progress=progress,
                source_name=job.file_name,
            )
            status, result = ImportJob.Status.DONE, report_json(report)
        except ImportRefused as exc:
            if _lost_database(exc):  # not the file's fault: keep it, and let it be retried
                logger.warning("Import job %s: the database went away: %s", job_id, exc.__cause__)
                status, result = ImportJob.Status.FAILED, {"problems": [DATABASE_LOST]}
            else:
                status, result = ImportJob.Status.REFUSED, refusal_json(exc, data, job.table)
        except Exception as exc:  # the page must say it failed; the log keeps the traceback
            logger.exception("Import job %s failed", job_id)
            status, result = ImportJob.Status.FAILED, {"problems": [f"Unexpected error: {exc!r}"]}
    finished = {"status": status, "report": result, "finished_at": timezone.now()}
    if status != ImportJob.Status.FAILED:
        finished["data"] = b""  # the upload is not kept once it cannot be retried
    _write_outcome(job_id, job.attempts, stage="finished", **finished)
    return status


def _lost_database(exc: ImportRefused) -> bool:
    """Whether the import was undone because the connection broke (OperationalError,
    InterfaceError), not because the database refused a row (IntegrityError, DataError…)."""
    return isinstance(exc.__cause__, OperationalError | InterfaceError)


def _write_outcome(job_id: int, attempt: int, **fields) -> None:
    """Record how this attempt ended (unless a retry has started another since). A database
    error here (the import may have failed because the database went away) closes the broken
    connection and tries again for about 15 s; if the database stays away, the sweep marks the
    job failed once it is back."""
    for delay in (1, 2, 4, 8, 0):
        try:
            ImportJob.objects.filter(pk=job_id, attempts=attempt).update(**fields)
            return
        except DATABASE_ERRORS as exc:
            if not delay:
                raise
            logger.warning(
                "Outcome of import job %s not written (%s); again in %s s", job_id, exc, delay
            )
            connection.close()
            time.sleep(delay)


def _worker_alive(job: ImportJob) -> bool:
    """On this machine, whether the job's worker process still exists (signal 0 asks) and, if it
    is this process, still runs the job. A heartbeat can lag behind a live worker: on SQLite the
    import's transaction holds the write lock while it writes."""
    if job.worker_host != socket.gethostname()[:255] or not job.worker_pid:
        return False
    if job.worker_pid == os.getpid():
        return job.pk in _RUNNING_HERE
    try:
        os.kill(job.worker_pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_import_jobs() -> dict:
    """Mark running jobs whose heartbeat has stopped as failed (retryable), and delete the files
    of failed jobs older than `IMPORT_JOB_KEEP_DAYS`. Returns what it did, for the log."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.IMPORT_JOB_STALE_SECONDS)
    dead = [
        job.pk
        for job in ImportJob.objects.filter(status=ImportJob.Status.RUNNING)
        # no heartbeat at all: left running by a worker from before heartbeats
        .filter(Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True))
        .only("pk", "worker_host", "worker_pid")
        if not _worker_alive(job)
    ]
    if dead:
        # Together: the job page and the task list never tell two stories, even for a moment.
        with transaction.atomic():
            ImportJob.objects.filter(pk__in=dead, status=ImportJob.Status.RUNNING).update(
                status=ImportJob.Status.FAILED,
                stage="worker stopped",
                finished_at=now,
                report={"problems": [WORKER_STOPPED]},
            )
            _fail_dead_tasks(dead, now)
        logger.warning("Import jobs %s: their worker stopped; marked failed", dead)
    expired = ImportJob.objects.filter(
        status=ImportJob.Status.FAILED,
        finished_at__lt=now - timedelta(days=settings.IMPORT_JOB_KEEP_DAYS),
    ).exclude(data=b"")
    # Read first, write only if needed: on SQLite a write waits for an import's transaction.
    deleted = expired.update(data=b"") if expired.exists() else 0
    # Previews nobody confirmed within a day: their files go, the record of the check stays.
    unconfirmed = ImportJob.objects.filter(
        status=ImportJob.Status.PREVIEWED, created_at__lt=now - timedelta(days=1)
    ).exclude(data=b"")
    if unconfirmed.exists():
        deleted += unconfirmed.update(data=b"")
    return {"failed": dead, "files_deleted": deleted}


def _fail_dead_tasks(job_ids: list[int], now) -> None:
    """The dead attempts' django-tasks rows say "running" too; they are closed as failed, so
    the task list tells the truth. (A retry is a new task row: these never block it.)"""
    path = run_import_job.module_path
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, task_path=path)
    wanted = set(job_ids)
    ids = [
        t.pk
        for t in running.only("pk", "args_kwargs")
        if ((t.args_kwargs or {}).get("args") or [None])[0] in wanted
    ]
    if ids:
        DBTaskResult.objects.filter(pk__in=ids).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path="institute.datasets.jobs.WorkerStopped",
            traceback=WORKER_STOPPED,
        )


def retry_import_job(job: ImportJob) -> ImportJob:
    """Queue a failed job again, as a new task (the dead attempt's task row blocks nothing)."""
    failed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.FAILED)
    updated = failed.exclude(data=b"").update(
        status=ImportJob.Status.QUEUED,
        stage="",
        done=0,
        total=0,
        report={},
        finished_at=None,
        heartbeat_at=None,
    )
    if updated:
        run_import_job.enqueue(job.pk)
    job.refresh_from_db()
    return job
