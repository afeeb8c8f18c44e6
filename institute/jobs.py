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
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tasks import task

from institute.imports import ImportRefused, failed_rows_csv, parse, run_import
from institute.models import ImportJob

logger = logging.getLogger(__name__)

WORKER_STOPPED = (
    "The worker stopped while importing this file (killed, or its machine restarted). The "
    "import is all or nothing, so nothing was written. Retry it."
)


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
        from institute.imports import SPECS

        header = parse(data, table=SPECS[table].table).header
        out["failed_rows_csv"] = failed_rows_csv(header, exc.rows, exc.problems)
    return out


class Heartbeat:
    """Writes `heartbeat_at` of one job every `IMPORT_JOB_HEARTBEAT_SECONDS` until stopped."""

    def __init__(self, job_id: int):
        self.job_id = job_id
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
                    ImportJob.objects.filter(pk=self.job_id).update(heartbeat_at=timezone.now())
                except DatabaseError as exc:  # a busy or lost database: try again next beat
                    logger.warning("Heartbeat of import job %s not written: %s", self.job_id, exc)
        finally:
            connection.close()  # this thread's own connection


@task()
def run_import_job(job_id: int) -> str:
    """Run one queued import; its row tells the job page how far it got and how it ended."""
    job = ImportJob.objects.get(pk=job_id)
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.RUNNING,
        heartbeat_at=timezone.now(),
        worker_host=socket.gethostname()[:255],
        worker_pid=os.getpid(),
        attempts=job.attempts + 1,
    )

    def progress(stage: str, done: int, total: int) -> None:
        # Inside the import's transaction these writes show only when it commits; the
        # checking and planning stages, which take most of the time, run before it.
        if not transaction.get_connection().in_atomic_block:
            ImportJob.objects.filter(pk=job_id).update(stage=stage, done=done, total=total)

    data = bytes(job.data)
    with Heartbeat(job_id):
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
            status, result = ImportJob.Status.REFUSED, refusal_json(exc, data, job.table)
        except Exception as exc:  # the page must say it failed; the log keeps the traceback
            logger.exception("Import job %s failed", job_id)
            status, result = ImportJob.Status.FAILED, {"problems": [f"Unexpected error: {exc!r}"]}
    finished = {"status": status, "report": result, "finished_at": timezone.now()}
    if status != ImportJob.Status.FAILED:
        finished["data"] = b""  # the upload is not kept once it cannot be retried
    ImportJob.objects.filter(pk=job_id).update(stage="finished", **finished)
    return status


def _worker_alive(job: ImportJob) -> bool:
    """On this machine, whether the job's worker process still exists (signal 0 asks)."""
    if job.worker_host != socket.gethostname()[:255] or not job.worker_pid:
        return False
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
        .filter(heartbeat_at__lt=stale)
        .only("pk", "worker_host", "worker_pid")
        if not _worker_alive(job)
    ]
    if dead:
        ImportJob.objects.filter(pk__in=dead, status=ImportJob.Status.RUNNING).update(
            status=ImportJob.Status.FAILED,
            stage="worker stopped",
            finished_at=now,
            report={"problems": [WORKER_STOPPED]},
        )
        logger.warning("Import jobs %s: their worker stopped; marked failed", dead)
    expired = (
        ImportJob.objects.filter(
            status=ImportJob.Status.FAILED,
            finished_at__lt=now - timedelta(days=settings.IMPORT_JOB_KEEP_DAYS),
        )
        .exclude(data=b"")
        .update(data=b"")
    )
    return {"failed": dead, "files_deleted": expired}


def retry_import_job(job: ImportJob) -> ImportJob:
    """Queue a failed job again, as a new task (the dead attempt's task row blocks nothing)."""
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.FAILED).update(
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
