"""Restoring an earlier version of an entry: a move like the others (check, execute, log),
writing through the one edit service."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from institute.editorial import edits
from institute.editorial.diffs import diff
from institute.editorial.models import EntryVersion, ReviewAction, ReviewEvent, VersionKind
from institute.editorial.moves import Move
from institute.editorial.rights import recorded_user
from institute.editorial.states import IN_REVIEW, PUBLISHED
from institute.editorial.versions import snapshot


class Revert(Move):
    """Restore version `number` of an entry as a new version; history is never rewritten.
    Takes `publish_<model>` (publishers restore earlier versions).

    An entry that is not published gets the old version written to its row. A published entry
    gets it as its working copy, put in review: the public page changes only when it is
    published, after the diff has been seen. Unless the old version is the published one (the
    usual "undo this working copy"): then there is nothing to review, and instead of an empty
    copy waiting in the queue, the working copy is discarded and the entry is back to published,
    which its history and review log say.
    """

    name, label, verb, action = "revert", _("Restore a version of"), "publish", ReviewAction.REVERT

    def __init__(self, entry, *, by, number: int, comment: str = ""):
        super().__init__(entry, by=by, comment=comment or f"Reverted to version {number}.")
        self.number = number

    def check(self) -> None:
        self.restored = (
            EntryVersion.objects.for_entry(self.locked).filter(number=self.number).first()
        )
        if self.restored is None:
            raise ValidationError(f"There is no version {self.number} of this entry.")

    def execute(self) -> tuple[str, str, bool]:
        locked = self.locked
        old_state = self.state
        published = locked.review_state == PUBLISHED
        if published and not diff(type(locked), snapshot(locked), self.restored.data):
            return self.discard_working_copy(old_state)
        self.locked = locked = edits.save_edit(
            locked,
            self.restored.data,
            by=self.by,
            kind=VersionKind.REVERTED,
            comment=self.comment,
            copy_state=IN_REVIEW,
        )
        if not published:
            return old_state, old_state, False
        # The restored copy goes to review at once, as if its author had submitted it.
        locked.submitted_by, locked.submitted_at = recorded_user(self.by), timezone.now()
        self.save_row("submitted_by", "submitted_at")
        return old_state, IN_REVIEW, True

    def discard_working_copy(self, old_state: str) -> tuple[str, str, bool]:
        locked, had_copy = self.locked, self.revision is not None
        self.comment = f"{self.comment} It is the published version: " + (
            "the working copy was discarded." if had_copy else "nothing to review."
        )
        edits.discard_working_copy(locked, self.revision, by=self.by, comment=self.comment)
        # The round of review it was in is over.
        locked.approved_by = locked.approved_at = locked.approved_version = None
        locked.assigned_reviewer = None
        self.save_row("approved_by", "approved_at", "approved_version", "assigned_reviewer")
        return old_state, PUBLISHED, had_copy

    def result(self, event: ReviewEvent) -> EntryVersion:
        return EntryVersion.objects.for_entry(self.locked).get(number=self.locked.version)
