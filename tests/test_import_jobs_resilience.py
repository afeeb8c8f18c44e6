"""Background imports survive their worker: a killed worker's job is marked failed (nothing was
written) and can be retried; the worker outlives a database outage; files are not kept."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from institute.jobs import run_import_job
from institute.models import ImportJob
from reforms.models import Reform
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
HEADER = "slug,title,summary,area,topics,status,announced_on\r\n"
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the worker runs in a process of its own, which sees only a server's test database",
)


def reforms_csv(n: int, prefix: str = "job") -> bytes:
    rows = "".join(
        f"{prefix}-{i},Reform {i},One sentence. Two.,economy,,adopted,2019\r\n" for i in range(n)
    )
    return (HEADER + rows).encode()


def queue(user, data: bytes) -> ImportJob:
    job = ImportJob.objects.create(table="reforms", file_name="big.csv", data=data, created_by=user)
    run_import_job.enqueue(job.pk)
    return job


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def start_worker(**env) -> subprocess.Popen:
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--interval", "0.2"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "institute.settings.test",
            "DATABASE_URL": f"{url}/{db['NAME']}",
            "IMPORT_JOB_HEARTBEAT_SECONDS": "0.5",
            "IMPORT_JOB_STALE_SECONDS": "2",
            "IMPORT_JOB_SWEEP_SECONDS": "0.5",
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


@pytest.mark.django_db
def test_a_job_whose_worker_died_says_so_and_can_be_retried(client, settings):
    """Through the admin: the job page sweeps, says what happened, and offers a retry."""
    settings.IMPORT_JOB_STALE_SECONDS = 60
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    job = ImportJob.objects.create(
        table="reforms",
        file_name="big.csv",
        data=reforms_csv(3),
        created_by=admin,
        status=ImportJob.Status.RUNNING,
        heartbeat_at=timezone.now() - timedelta(minutes=5),
        worker_host=os.uname().nodename,
        worker_pid=dead_pid(),
        done=2500,
        total=3000,
    )
    alive = ImportJob.objects.create(
        table="reforms",
        file_name="alive.csv",
        data=reforms_csv(3),
        created_by=admin,
        status=ImportJob.Status.RUNNING,
        heartbeat_at=timezone.now(),
    )
    client.force_login(admin)
    page = client.get(reverse("admin:institute_importjob_change", args=[job.pk]))
    html = page.content.decode()
    assert "The worker stopped while importing" in html
    assert 'id="job-retry"' in html
    job.refresh_from_db()
    alive.refresh_from_db()
    assert (job.status, alive.status) == (ImportJob.Status.FAILED, ImportJob.Status.RUNNING)

    retry = client.post(reverse("admin:institute_importjob_retry", args=[job.pk]))
    assert retry.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED
    queued = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert queued.count() == 1  # a new task: the dead attempt's task row blocks nothing
    # The worker's own loop needs committed rows (see the PostgreSQL tests below); here the
    # task runs in this process, as a worker would run it.
    run_import_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.report
    assert (job.attempts, bytes(job.data)) == (1, b"")  # the upload is not kept
    assert Reform.objects.filter(slug__startswith="job-").count() == 3


@pytest.mark.django_db
def test_only_a_failed_job_can_be_retried_and_only_by_its_owner(client, make_role_user):
    owner = make_role_user("contributor", username="owner")
    other = make_role_user("contributor", username="other")
    job = ImportJob.objects.create(
        table="reforms",
        file_name="x.csv",
        data=b"",
        created_by=owner,
        status=ImportJob.Status.FAILED,
    )
    url = reverse("admin:institute_importjob_retry", args=[job.pk])
    client.force_login(other)
    assert client.post(url).status_code == 404
    client.force_login(owner)
    assert client.get(url).status_code == 405
    client.post(url)  # its file is gone: refused with a message
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED


@pytest.mark.django_db
def test_failed_jobs_files_are_deleted_after_the_keeping_period(settings):
    from institute.jobs import sweep_import_jobs

    settings.IMPORT_JOB_KEEP_DAYS = 7
    old, recent = (
        ImportJob.objects.create(
            table="reforms",
            file_name=name,
            data=b"slug\r\n",
            status=ImportJob.Status.FAILED,
            finished_at=timezone.now() - timedelta(days=days),
        )
        for name, days in (("old.csv", 8), ("recent.csv", 1))
    )
    assert sweep_import_jobs()["files_deleted"] == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (bytes(old.data), bytes(recent.data)) == (b"", b"slug\r\n")


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_killing_the_worker_mid_import_writes_nothing_and_a_new_worker_fails_it(client):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    rows = 20_000
    job = queue(admin, reforms_csv(rows))
    first = start_worker()
    try:
        wait_for(
            lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.RUNNING,
            60,
            "the first worker to start the job",
        )
        time.sleep(1.0)  # mid-job: checking and planning 20,000 rows takes longer than this
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        killed_at = time.monotonic()
        job.refresh_from_db()
        assert job.status == ImportJob.Status.RUNNING  # what used to stay forever
    finally:
        stop(first)
    assert not Reform.objects.filter(slug__startswith="job-").exists()

    second = start_worker()
    try:
        wait_for(
            lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.FAILED,
            60,
            "the new worker to mark the job failed",
        )
        print(f"marked failed {time.monotonic() - killed_at:.1f} s after the kill")
        assert not Reform.objects.filter(slug__startswith="job-").exists()
        client.force_login(admin)
        client.post(reverse("admin:institute_importjob_retry", args=[job.pk]))
        wait_for(
            lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE,
            300,
            "the retry to finish",
        )
    finally:
        stop(second)
    job.refresh_from_db()
    assert job.attempts == 2
    assert Reform.objects.filter(slug__startswith="job-").count() == rows


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_the_worker_survives_the_database_going_away_and_coming_back():
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    worker = start_worker()
    name = connection.settings_dict["NAME"]
    try:
        time.sleep(2)  # connected and polling
        deadline = time.monotonic() + 5
        terminated = 0
        with connection.cursor() as cursor:
            while time.monotonic() < deadline:  # every connection of the worker, for 5 s
                cursor.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [name],
                )
                terminated += cursor.fetchone()[0]
                time.sleep(0.05)
        assert terminated >= 1
        assert worker.poll() is None, worker.stderr.read() if worker.poll() is not None else ""
        job = queue(admin, reforms_csv(5, prefix="after-outage"))
        wait_for(
            lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE,
            90,
            "the worker to run a job after the outage",
        )
        assert worker.poll() is None
    finally:
        stop(worker)
    assert Reform.objects.filter(slug__startswith="after-outage-").count() == 5
