"""The background import job: a CSV file too large for a request, run by the worker."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """A CSV import: one too large to finish inside a request, run by the background worker, or
    one previewed in the admin and waiting for its confirmation.

    The file is kept in the row (bounded by settings.IMPORT_UPLOAD_MAX_BYTES), so the worker
    and whichever process takes the confirmation need no shared disk; `report` holds the outcome
    shown on the job's page.
    """

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed: waiting for confirmation")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Imported")
        REFUSED = "refused", _("Refused: nothing was written")
        FAILED = "failed", _("Failed: nothing was written")

    table = models.CharField(max_length=30)
    file_name = models.CharField(max_length=255)
    data = models.BinaryField()
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=30, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Liveness: the running attempt writes `heartbeat_at` every few seconds from a thread of its
    # own; a job whose heartbeat stops (its worker was killed) is marked failed by the sweep
    # (institute.datasets.jobs.sweep_import_jobs), and may be retried.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker_host = models.CharField(max_length=255, blank=True)
    worker_pid = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import of {self.file_name} into {self.table}"

    @property
    def retryable(self) -> bool:
        """Failed (not refused: a refused file would be refused again), with its file kept."""
        return self.status == self.Status.FAILED and bool(self.data)

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        """Nothing more will happen to it by itself (a preview waits for a person)."""
        return self.status != self.Status.QUEUED and self.status != self.Status.RUNNING


class Release(models.Model):
    """A numbered, frozen copy of the published data, for citing: its files are written once
    when it is cut (institute.datasets.releases) to the `datasets` storage and never change.
    Never deleted: a release found wanting is withdrawn with a reason, and its files stay
    readable, so that what was cited can still be checked."""

    label = models.CharField(max_length=40, unique=True)
    notes = models.TextField(blank=True)
    # The moment the files show: the published data as it was then.
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The address the files' `url` columns start with.
    base_url = models.CharField(max_length=200)
    # Where its files are in the `datasets` storage, and each one's name, size and SHA-256.
    folder = models.CharField(max_length=200, unique=True)
    files = models.JSONField(default=list)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("withdraw_release", "Can withdraw a release")]
        constraints = [
            models.CheckConstraint(
                name="release_withdrawn_says_why",
                condition=models.Q(withdrawn_at__isnull=True, withdrawn_reason="")
                | (models.Q(withdrawn_at__isnull=False) & ~models.Q(withdrawn_reason="")),
            ),
        ]

    def __str__(self) -> str:
        return f"Release {self.label}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def file(self, name: str) -> dict | None:
        return next((f for f in self.files if f["name"] == name), None)
