"""Restoring an earlier version of an entry: a move like the others (check, execute, log),
writing through the one edit service."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from institute.editorial import edits
from institute.editorial.models import EntryVersion, ReviewAction, ReviewEvent, VersionKind
from institute.editorial.moves import Move
from institute.editorial.rights import recorded_user
from institute.editorial.states import IN_REVIEW, PUBLISHED
from institute.editorial.versions import working_state


class Revert(Move):
    """Restore version `number` of an entry as a new version; history is never rewritten.
    Takes `publish_<model>` (publishers restore earlier versions).

    An entry that is not published gets the old version written to its row. A published entry
    gets it as its working copy, put in review: the public page changes only when it is
    published, after the diff has been seen.
    """

    name, label, verb, action = "revert", _("Restore a version of"), "publish", ReviewAction.REVERT

    def __init__(self, entry, *, by, number: int, comment: str = ""):
        super().__init__(entry, by=by, comment=comment or f"Reverted to version {number}.")
        self.number = number

    def check(self) -> None:
        self.target = EntryVersion.objects.for_entry(self.locked).filter(number=self.number).first()
        if self.target is None:
            raise ValidationError(f"There is no version {self.number} of this entry.")

    def execute(self) -> tuple[str, str, bool]:
        locked = self.locked
        old_state = working_state(locked, self.revision)
        published = locked.review_state == PUBLISHED
        self.locked = locked = edits.save_edit(
            locked,
            self.target.data,
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

    def result(self, event: ReviewEvent) -> EntryVersion:
        return EntryVersion.objects.for_entry(self.locked).get(number=self.locked.version)
