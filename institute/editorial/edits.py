"""Saving an edit of an editorial entry: the one way a new version of an existing entry is
written. The admin's change form, CSV imports, a revert and the content loader all call
`save_edit` with the entry's complete new snapshot (see institute.editorial.versions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from institute.editorial.models import VersionKind
from institute.editorial.rights import recorded_user
from institute.editorial.states import PUBLISHED
from institute.editorial.versions import (
    apply_snapshot,
    ensure_baseline,
    record_version,
    save_working_copy,
)

if TYPE_CHECKING:
    from institute.editorial.models import Editorial
    from institute.editorial.rights import Actor

STALE_MESSAGE = _(
    "Someone else saved this entry (now version %(current)s) after you opened it (version "
    "%(expected)s). Nothing was saved. Your changes are still in this form: copy what you need, "
    "reload the page to see the latest version, and apply them again."
)


class StaleEdit(ValidationError):
    """The edit was made against an older version than the one saved now: refused, never
    merged, and nothing written."""

    def __init__(self, *, current: int, expected: int):
        super().__init__(
            STALE_MESSAGE, code="stale", params={"current": current, "expected": expected}
        )
        self.current, self.expected = current, expected


def check_version(current: int, expected: int | None) -> None:
    """StaleEdit unless the entry's version `current` is `expected` (None: not checked)."""
    if expected is not None and current != expected:
        raise StaleEdit(current=current, expected=expected)


def save_edit(
    entry: Editorial,
    data: dict,
    *,
    by: Actor,
    kind: str | None = None,
    comment: str = "",
    expected_version: int | None = None,
    copy_state: str | None = None,
) -> Editorial:
    """Write `data` (the entry's complete snapshot) as its next version, under its row lock.

    A published entry keeps its public row: the edit becomes its working copy (in `copy_state`
    when given), to be reviewed and published. Any other entry gets the edit on its row, its
    many-to-many and its children, validated. Either way the version counter moves on (so
    forms opened before are stale) and the version is recorded, with who and how (`kind`; by
    default "edited", or "working copy" for a published entry).

    `expected_version` is the version the edit was made against: if another was saved since,
    `StaleEdit` is raised and nothing is written. Returns the entry as saved (locked).
    """
    with transaction.atomic():
        locked = type(entry)._default_manager.select_for_update().get(pk=entry.pk)
        check_version(locked.version, expected_version)
        if locked.review_state == PUBLISHED:
            kind = kind or VersionKind.WORKING_COPY
            save_working_copy(
                locked, by=by, data=data, kind=kind, state=copy_state, comment=comment
            )
        else:
            ensure_baseline(locked)
            locked.version += 1
            locked.updated_by = recorded_user(by)
            apply_snapshot(locked, data)
            record_version(locked, by=by, kind=kind or VersionKind.EDITED, comment=comment)
    return locked
