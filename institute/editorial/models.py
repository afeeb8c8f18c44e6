"""The editorial entry every curated model is, and what the workflow keeps about it: the review
log, the working copy of a published entry, and every saved version."""

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from institute import constraint_checks
from institute.editorial.states import WORKING_COPY_STATES, ReviewState


class EditorialQuerySet(models.QuerySet):
    def published(self):
        """What the public may see: the one definition every public path starts from."""
        return self.filter(review_state=ReviewState.PUBLISHED)


class Editorial(models.Model):
    """Review state and audit fields of every entry editors curate."""

    review_state = models.CharField(
        _("review state"),
        max_length=20,
        choices=ReviewState.choices,
        default=ReviewState.DRAFT,
        db_index=True,
        editable=False,
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Optimistic locking: a form posted against an older version is refused, not merged. It counts
    # every saved version (EntryVersion.number), the working copies of a published entry included.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # Who put the entry (or its working copy) in review, and when: the review queue shows them.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    assigned_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned reviewer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # The approval of the work in review (the row, or the working copy of a published entry):
    # who approved which version. Publishing takes a current one (editorial.moves.Publish); any
    # later save moves `version` past `approved_version`, and the approval lapses.
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True, editable=False)
    approved_version = models.PositiveIntegerField(
        _("approved version"), null=True, blank=True, editable=False
    )

    # The rows edited with the entry and kept in its snapshot (institute.editorial.versions
    # .Children): declared by each model, so the generic code needs no list of the apps.
    snapshot_children: tuple = ()
    # How the review queue's area filter reaches this model's area (None: it has none).
    area_lookup: str | None = None

    class Meta:
        abstract = True

    @property
    def is_published(self) -> bool:
        return self.review_state == ReviewState.PUBLISHED

    @property
    def is_approved(self) -> bool:
        """Approved, and nothing saved since: the version in review is the one approved."""
        return self.approved_at is not None and self.approved_version == self.version

    @classmethod
    def normalized_snapshot(cls, data: dict, before: dict | None = None) -> dict:
        """A snapshot with the model's rules across its parts applied (what must hold between
        the entry and its children), given the snapshot it was edited from (`before`; None for
        a new entry): ValidationError if it breaks one. The write path calls it on every
        snapshot it stores, so each rule is stated once, here, whatever the surface. None by
        default."""
        return data

    def publish_blockers(self) -> list[str]:
        """Why this entry may not be made public as it stands (none by default)."""
        return []

    def validate_constraints(self, exclude=None):
        # An entry has many check constraints (a reform fifteen): asked in one query.
        constraint_checks.validate_constraints(self, exclude=exclude)


def editorial_constraints(label: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(
            name=f"{label}_review_state_known",
            condition=Q(review_state__in=ReviewState.values),
        ),
        models.CheckConstraint(
            name=f"{label}_published_has_date",
            condition=~Q(review_state=ReviewState.PUBLISHED) | Q(published_at__isnull=False),
        ),
    ]


class AboutAnEntryQuerySet(models.QuerySet):
    def for_entry(self, entry):
        """The rows about one entry."""
        return self.filter(
            content_type=ContentType.objects.get_for_model(type(entry)), object_id=entry.pk
        )


class AboutAnEntry(models.Model):
    """A row about one editorial entry of any model (content type + id): the review log, the
    working copies and the versions are each one table for reforms, recommendations and
    sources."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    entry = GenericForeignKey("content_type", "object_id")

    objects = AboutAnEntryQuerySet.as_manager()

    class Meta:
        abstract = True


class ReviewAction(models.TextChoices):
    SUBMIT = "submit", _("Submitted for review")
    REQUEST_CHANGES = "request-changes", _("Requested changes")
    PUBLISH = "publish", _("Published")
    ARCHIVE = "archive", _("Archived")
    REOPEN = "reopen", _("Reopened")
    APPROVE = "approve", _("Approved")
    COMMENT = "comment", _("Commented")
    ASSIGN = "assign", _("Assigned a reviewer")
    REVERT = "revert", _("Reverted")


class ReviewEvent(AboutAnEntry):
    """One line of an entry's review log: a move between review states, or a comment on one.

    Generic over reforms, recommendations and sources (content type + id), so one log and one
    admin serve all three. Written only by the moves in institute/editorial/moves.py.
    """

    action = models.CharField(max_length=20, choices=ReviewAction.choices)
    from_state = models.CharField(max_length=20, choices=ReviewState.choices)
    to_state = models.CharField(max_length=20, choices=ReviewState.choices)
    # True when the move concerned the working copy of a published entry, not the public row.
    on_working_copy = models.BooleanField(default=False)
    # The entry's version when it happened: which version was published, reviewed or reverted.
    version = models.PositiveIntegerField()
    # Null for the system actor: the content loader (editorial.workflow.publish_loaded).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="review_events",
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "created_at"], name="reviewevent_entry_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="reviewevent_action_known", condition=Q(action__in=ReviewAction.values)
            ),
            models.CheckConstraint(
                name="reviewevent_states_known",
                condition=Q(from_state__in=ReviewState.values, to_state__in=ReviewState.values),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.from_state} → {self.to_state}"

    @property
    def actor_label(self) -> str:
        return str(self.actor) if self.actor_id else "system (content loader)"


class PendingRevision(AboutAnEntry):
    """The working copy of a published entry: what editors changed since it was published.

    Saving a published entry in the admin writes here, never to the entry's row, so the public
    keeps reading the published version until `publish` applies this copy. `data` has the
    snapshot shape of institute.editorial.versions (fields, many-to-many ids, owned children).
    There is at most one per entry, and only while the entry is published.
    """

    data = models.JSONField(encoder=DjangoJSONEncoder)
    state = models.CharField(max_length=20, choices=ReviewState.choices, default=ReviewState.DRAFT)
    base_version = models.PositiveIntegerField(
        help_text=_("The version of the published row this copy started from.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"], name="pendingrevision_one_per_entry"
            ),
            models.CheckConstraint(
                name="pendingrevision_state_known",
                condition=Q(state__in=[s.value for s in WORKING_COPY_STATES]),
            ),
        ]

    def __str__(self) -> str:
        return f"Working copy of {self.content_type} #{self.object_id} ({self.state})"


class VersionKind(models.TextChoices):
    BASELINE = "baseline", _("As found (before versions were recorded)")
    CREATED = "created", _("Created")
    EDITED = "edited", _("Edited")
    WORKING_COPY = "working-copy", _("Edited (working copy of the published entry)")
    IMPORTED = "imported", _("Loaded from the curated content")
    REVERTED = "reverted", _("Reverted")


class AppendOnlyQuerySet(AboutAnEntryQuerySet):
    """Rows of history: added, never changed or deleted. `update()` and `delete()` are refused
    here, `save()` of a stored row and `delete()` on the model (AppendOnly), and on PostgreSQL a
    trigger refuses them to any client (migration 0013)."""

    def update(self, **kwargs):
        raise HistoryIsAppendOnly(self.model)

    def delete(self):
        raise HistoryIsAppendOnly(self.model)


class HistoryIsAppendOnly(Exception):
    def __init__(self, model):
        super().__init__(
            f"{model._meta.verbose_name_plural} are history: they are added, never changed or "
            "deleted."
        )


class AppendOnly(AboutAnEntry):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise HistoryIsAppendOnly(type(self))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise HistoryIsAppendOnly(type(self))


class EntryVersion(AppendOnly):
    """One saved version of an entry, complete: fields, many-to-many and the children it owns.

    One row per save through the write path (institute.editorial.edits), numbered like the
    entry's `version`. Rows are never changed or deleted: a revert writes a new version with an
    old one's data, and which versions went live is recorded beside them (`Publication`).
    """

    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=VersionKind.choices)
    # False: written to the entry's row; True: to the working copy of a published entry.
    working_copy = models.BooleanField(default=False)
    data = models.JSONField(encoder=DjangoJSONEncoder)
    comment = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "number"], name="entryversion_unique_number"
            ),
            models.CheckConstraint(
                name="entryversion_kind_known", condition=Q(kind__in=VersionKind.values)
            ),
        ]

    def __str__(self) -> str:
        return f"Version {self.number} of {self.content_type} #{self.object_id}"


class PublicationKind(models.TextChoices):
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Publication(AppendOnly):
    """One change of what the public sees of an entry: a version made live (with who and when),
    or the entry withdrawn from the public site.

    Appended by the moves that change it (publish, publish of loaded content, archive), never
    changed: "what did the public see of this entry at D" is the version of its last
    publication before D (nothing if that was a withdrawal, or if there is none).
    """

    kind = models.CharField(max_length=20, choices=PublicationKind.choices)
    version = models.ForeignKey(
        EntryVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="publications"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Null for the system actor: the content loader.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(blank=True)  # the reviewer's comment on the move: never public
    # What the publisher tells readers about this version ("Corrected the adoption date"):
    # shown on the entry's public history, the recent changes and the release changelog.
    public_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "created_at"], name="publication_entry_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="publication_kind_known", condition=Q(kind__in=PublicationKind.values)
            ),
            # A publication names the version that went live; a withdrawal none.
            models.CheckConstraint(
                name="publication_version_iff_published",
                condition=Q(kind=PublicationKind.PUBLISHED, version__isnull=False)
                | Q(kind=PublicationKind.WITHDRAWN, version__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        what = f"version {self.version.number}" if self.version_id else "withdrawn"
        return f"{self.get_kind_display()}: {self.content_type} #{self.object_id} ({what})"


class ReviewNotices(models.Model):
    """The emails an editor chose to get about the review queue: none unless chosen."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_notices"
    )
    # An entry of a model the editor may review enters the queue (is submitted).
    on_submitted = models.BooleanField(default=False)
    # An entry is assigned to the editor for review (by someone else).
    on_assigned = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "review notices"

    def __str__(self) -> str:
        return f"Review notices of {self.user}"


def editorial_models() -> list[type[Editorial]]:
    """Every concrete editorial model, in the order of INSTALLED_APPS."""
    return [m for m in apps.get_models() if issubclass(m, Editorial)]
