"""Background imports: the admin hands a large file to the worker (`manage.py db_worker`)."""

import logging

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from institute.imports import ImportRefused, failed_rows_csv, parse, run_import
from institute.models import ImportJob

logger = logging.getLogger(__name__)


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


@task()
def run_import_job(job_id: int) -> str:
    """Run one queued import; its row tells the job page how far it got and how it ended."""
    job = ImportJob.objects.get(pk=job_id)
    ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.RUNNING)

    def progress(stage: str, done: int, total: int) -> None:
        # Inside the import's transaction these writes show only when it commits; the
        # checking and planning stages, which take most of the time, run before it.
        if not transaction.get_connection().in_atomic_block:
            ImportJob.objects.filter(pk=job_id).update(stage=stage, done=done, total=total)

    data = bytes(job.data)
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
    ImportJob.objects.filter(pk=job_id).update(
        status=status, report=result, finished_at=timezone.now(), stage="finished"
    )
    return status
