"""The editorial review workflow shared by reforms, recommendations and sources.

A reform's `status` is what happened in the world; an entry's `review_state` is where it stands
in our review. Nothing but the services below changes `review_state`: the admin's buttons and
actions, the content loader and the `review` management command all call them.

Each transition checks, then changes, then logs: it checks the actor's permission
(`PermissionDenied`), then that the move is allowed from the current state (`ValidationError`
naming the move and the state), all in one transaction holding the entry's row lock, and writes
one `ReviewEvent`.

Published entries have two layers. The row is what the public reads; an edit to a published
entry goes into its working copy (`PendingRevision`, see institute.versions), which has its own
review state. `submit_for_review`, `request_changes` and `publish` act on the working copy when
there is one (publish applies it to the row); `archive` and `reopen` act on the row. Archiving
folds a pending working copy into the row (the row is no longer public, so nothing is lost and
nothing unreviewed is shown).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from institute.models import Editorial, EntryVersion, ReviewEvent

    Actor = AbstractBaseUser | AnonymousUser | None


class ReviewState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in-review", _("In review")
    CHANGES_REQUESTED = "changes-requested", _("Changes requested")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


DRAFT = ReviewState.DRAFT
IN_REVIEW = ReviewState.IN_REVIEW
CHANGES_REQUESTED = ReviewState.CHANGES_REQUESTED
PUBLISHED = ReviewState.PUBLISHED
ARCHIVED = ReviewState.ARCHIVED

# Every allowed move, and the permission verb it takes (`<app>.<verb>_<model>`).
TRANSITIONS: dict[tuple[str, str], str] = {
    (DRAFT, IN_REVIEW): "submit",
    (CHANGES_REQUESTED, IN_REVIEW): "submit",
    (IN_REVIEW, CHANGES_REQUESTED): "review",
    (IN_REVIEW, PUBLISHED): "publish",
    (PUBLISHED, ARCHIVED): "publish",
    (ARCHIVED, DRAFT): "publish",
}

# The services, by admin/command name: (target state, permission verb, acts on the row only).
MOVES: dict[str, tuple[str, str, bool]] = {
    "submit": (IN_REVIEW, "submit", False),
    "request_changes": (CHANGES_REQUESTED, "review", False),
    "publish": (PUBLISHED, "publish", False),
    "archive": (ARCHIVED, "publish", True),
    "reopen": (DRAFT, "publish", True),
}
MOVE_LABELS = {
    "submit": _("Submit for review"),
    "request_changes": _("Request changes"),
    "publish": _("Publish"),
    "archive": _("Archive (unpublish)"),
    "reopen": _("Reopen as draft"),
}


def perm_name(entry_or_model, verb: str) -> str:
    """`reforms.publish_reform` and the like."""
    opts = entry_or_model._meta
    return f"{opts.app_label}.{verb}_{opts.model_name}"


def has_verb(user: Actor, entry_or_model, verb: str) -> bool:
    """Whether the user holds the workflow permission (superusers hold them all)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.has_perm(perm_name(entry_or_model, verb))
    )


_UNKNOWN = object()


def working_state(entry: Editorial, revision=_UNKNOWN) -> str:
    """Where the entry's work stands: its working copy's state if it has one, else its row's.

    `revision` is the working copy when the caller has it (None: it has none); otherwise the
    copy the admin attached (`_pending_revision`), an annotation, or a query.
    """
    if revision is _UNKNOWN:
        if hasattr(entry, "working_state"):
            return entry.working_state
        revision = getattr(entry, "_pending_revision", _UNKNOWN)
    if revision is _UNKNOWN:
        if entry.review_state != PUBLISHED:
            return entry.review_state  # only published entries have working copies
        from institute.versions import pending_revision

        revision = pending_revision(entry)
    return revision.state if revision is not None else entry.review_state


def with_working_state(queryset: models.QuerySet) -> models.QuerySet:
    """Annotate `working_state` (and `working_copy_state`) on a queryset of one editorial model,
    in the same query: for the review queue, list columns and filters."""
    from django.db.models import F, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from institute.models import PendingRevision

    opts = queryset.model._meta
    copy_state = PendingRevision.objects.filter(
        content_type__app_label=opts.app_label,
        content_type__model=opts.model_name,
        object_id=OuterRef("pk"),
    ).values("state")[:1]
    return queryset.annotate(
        working_copy_state=Subquery(copy_state),
        working_state=Coalesce(Subquery(copy_state), F("review_state")),
    )


def allowed_moves(user: Actor, entry: Editorial) -> list[str]:
    """The transitions this user may take on this entry now: what the admin offers, no more."""
    state = working_state(entry)
    moves = []
    for name, (target, verb, row_only) in MOVES.items():
        current = entry.review_state if row_only else state
        if (current, target) not in TRANSITIONS or not has_verb(user, entry, verb):
            continue
        if target == PUBLISHED and approval_required() and not entry.is_approved:
            continue  # offered once a reviewer has approved this version
        moves.append(name)
    return moves


def _check_permission(entry: Editorial, user: Actor, verb: str, what: str) -> None:
    if not has_verb(user, entry, verb):
        raise PermissionDenied(
            f"You may not {what} this {entry._meta.verbose_name} "
            f"(it takes the “{perm_name(entry, verb)}” permission)."
        )


def _label(state: str) -> str:
    return str(ReviewState(state).label).lower()


def _record(
    entry: Editorial,
    *,
    by: Actor,
    action: str,
    old: str,
    new: str,
    comment: str = "",
    on_working_copy: bool = False,
) -> ReviewEvent:
    from institute.models import ReviewEvent
    from institute.versions import content_type_of

    return ReviewEvent.objects.create(
        content_type=content_type_of(entry),
        object_id=entry.pk,
        action=action,
        from_state=old,
        to_state=new,
        on_working_copy=on_working_copy,
        version=entry.version,
        actor=by if getattr(by, "pk", None) else None,
        comment=comment,
    )


def _lock(entry: Editorial):
    """The entry's row, locked (two people may click at once), and its working copy."""
    from institute.versions import pending_revision

    locked = type(entry)._default_manager.select_for_update().get(pk=entry.pk)
    return locked, pending_revision(locked, for_update=True)


def _save_state(entry: Editorial, by: Actor, *fields: str) -> None:
    entry.save(update_fields=list(fields))


def _move(entry: Editorial, *, by: Actor, name: str, comment: str, system: bool = False):
    """Check, change, log one transition. `system` skips the permission check (loader only)."""
    from institute.models import ReviewAction
    from institute.versions import apply_snapshot

    target, verb, row_only = MOVES[name]
    what = str(MOVE_LABELS[name]).lower()
    if not system:
        _check_permission(entry, by, verb, what)
    with transaction.atomic():
        locked, revision = _lock(entry)
        on_copy = revision is not None and not row_only
        current = revision.state if on_copy else locked.review_state
        if (current, target) not in TRANSITIONS:
            raise ValidationError(
                f"Cannot {what}: the move from {_label(current)} to {_label(target)} "
                f"is not allowed for this {locked._meta.verbose_name}.",
                code="invalid_move",
            )
        if name == "request_changes" and not comment.strip():
            raise ValidationError("Say what to change: requesting changes needs a comment.")
        if target == PUBLISHED:
            _check_approved(locked, what)
        now = timezone.now()
        fields = ["review_state"]
        if target == IN_REVIEW:
            locked.submitted_by = by if getattr(by, "pk", None) else None
            locked.submitted_at = now
            fields += ["submitted_by", "submitted_at"]
        if target in (PUBLISHED, ARCHIVED):
            locked.assigned_reviewer = None
            fields.append("assigned_reviewer")
        # Every move starts or ends a round of review; an approval belongs to one round.
        locked.approved_by, locked.approved_at, locked.approved_version = None, None, None
        fields += ["approved_by", "approved_at", "approved_version"]
        if on_copy and target != PUBLISHED:
            # Only the working copy moves; the public row stays as it is.
            revision.state = target
            revision.save(update_fields=["state", "updated_at"])
            if len(fields) > 1:
                _save_state(locked, by, *fields[1:])
        elif revision is not None and target in (PUBLISHED, ARCHIVED):
            # Publishing applies the working copy; archiving folds it into the row, which then
            # is no longer public. Either way the copy's content becomes the row.
            locked.review_state = target
            if target == PUBLISHED:
                locked.published_at = now
            locked.updated_by = by if getattr(by, "pk", None) else locked.updated_by
            apply_snapshot(locked, revision.data)
            revision.delete()
        else:
            locked.review_state = target
            if target == PUBLISHED:
                locked.published_at = now
                fields.append("published_at")
            _save_state(locked, by, *fields)
        if target == PUBLISHED:
            blockers = locked.publish_blockers()
            if blockers:  # raised inside the transaction: the applied copy is rolled back
                raise ValidationError(f"Cannot {what}: {' '.join(blockers)}", code="blocked")
        _record(
            locked,
            by=by,
            action={
                "submit": ReviewAction.SUBMIT,
                "request_changes": ReviewAction.REQUEST_CHANGES,
                "publish": ReviewAction.PUBLISH,
                "archive": ReviewAction.ARCHIVE,
                "reopen": ReviewAction.REOPEN,
            }[name],
            old=current,
            new=target,
            comment=comment,
            on_working_copy=on_copy,
        )
    return locked


def approval_required() -> bool:
    """Whether publishing takes an approval by someone other than the author. On by default;
    `REVIEW_REQUIRES_APPROVAL=0` relaxes it for a team too small to have a second reader."""
    return getattr(settings, "REVIEW_REQUIRES_APPROVAL", True)


def authors_of(entry: Editorial, revision=_UNKNOWN) -> set[int]:
    """Who wrote the work in review: who submitted it and who saved it last (the working
    copy's editor for a published entry). They may not approve it."""
    if revision is _UNKNOWN:
        from institute.versions import pending_revision

        revision = pending_revision(entry) if entry.review_state == PUBLISHED else None
    editor = revision.updated_by_id if revision is not None else entry.updated_by_id
    return {pk for pk in (entry.submitted_by_id, editor) if pk is not None}


def _check_approved(entry: Editorial, what: str) -> None:
    if approval_required() and not entry.is_approved:
        lapsed = entry.approved_at is not None
        raise ValidationError(
            f"Cannot {what}: version {entry.version} has no approval"
            + (" (the one given was for an earlier version)" if lapsed else "")
            + ". A reviewer other than its author must approve it first.",
            code="not_approved",
        )


def submit_for_review(entry: Editorial, *, by: Actor, comment: str = "") -> Editorial:
    """Put a draft (or an entry whose changes were requested) in review. Takes `submit_<model>`.

    On a published entry this submits its working copy; the public row is untouched.
    """
    return _move(entry, by=by, name="submit", comment=comment)


def request_changes(entry: Editorial, *, by: Actor, comment: str) -> Editorial:
    """Send an entry in review back to its authors, saying what to change (the comment is
    required). Takes `review_<model>`."""
    return _move(entry, by=by, name="request_changes", comment=comment)


def publish(entry: Editorial, *, by: Actor, comment: str = "") -> Editorial:
    """Make an entry in review public. Takes `publish_<model>`.

    For a published entry with a working copy in review, the copy is applied to the row (fields,
    many-to-many, citations, responses) and discarded: the public sees it from now on.
    """
    return _move(entry, by=by, name="publish", comment=comment)


def archive(entry: Editorial, *, by: Actor, comment: str = "") -> Editorial:
    """Take a published entry off the public site. Takes `publish_<model>`."""
    return _move(entry, by=by, name="archive", comment=comment)


def reopen(entry: Editorial, *, by: Actor, comment: str = "") -> Editorial:
    """Make an archived entry a draft again, to be edited and reviewed. Takes `publish_<model>`."""
    return _move(entry, by=by, name="reopen", comment=comment)


def publish_loaded(entry: Editorial, *, by: Actor = None, comment: str = "") -> Editorial:
    """Publish a draft the content loader has just created: the system path.

    The curated content in fixtures/content comes from published reports and is reviewed in the
    repository by diff, so the loader publishes what it creates without the in-review step, and
    without a permission check (running `manage.py load_content` is the authority; `by` is the
    user it was run `--as`, or None for the system). It is refused for anything but a draft, and
    writes a review event like any other move. Nothing in the admin calls it.
    """
    from institute.models import ReviewAction

    with transaction.atomic():
        locked, _revision = _lock(entry)
        if locked.review_state != DRAFT:
            raise ValidationError(
                f"Cannot publish loaded content: the {locked._meta.verbose_name} is "
                f"{_label(locked.review_state)}, not a draft."
            )
        locked.review_state = PUBLISHED
        locked.published_at = timezone.now()
        _save_state(locked, by, "review_state", "published_at")
        _record(
            locked,
            by=by,
            action=ReviewAction.PUBLISH,
            old=DRAFT,
            new=PUBLISHED,
            comment=comment or "Loaded from the curated content (fixtures/content).",
        )
    return locked


def approve(entry: Editorial, *, by: Actor, comment: str = "") -> ReviewEvent:
    """Approve the version in review: it stays in review, flagged approved (who, when, which
    version), and may now be published. Takes `review_<model>`; its author may not."""
    from institute.models import ReviewAction

    _check_permission(entry, by, "review", "approve")
    with transaction.atomic():
        locked, revision = _lock(entry)
        state = working_state(locked, revision)
        if state != IN_REVIEW:
            raise ValidationError(f"Cannot approve: the entry is {_label(state)}, not in review.")
        if getattr(by, "pk", None) in authors_of(locked, revision):
            raise PermissionDenied(
                "You may not approve your own work: another reviewer must read it."
            )
        locked.approved_by, locked.approved_at = by, timezone.now()
        locked.approved_version = locked.version
        _save_state(locked, by, "approved_by", "approved_at", "approved_version")
        return _record(
            locked,
            by=by,
            action=ReviewAction.APPROVE,
            old=state,
            new=state,
            comment=comment,
            on_working_copy=revision is not None,
        )


def add_comment(entry: Editorial, *, by: Actor, comment: str) -> ReviewEvent:
    """Add a comment to the entry's review log. Takes any of the workflow permissions."""
    from institute.models import ReviewAction

    if not any(has_verb(by, entry, verb) for verb in ("submit", "review", "publish")):
        raise PermissionDenied("You may not comment on this entry's review.")
    if not comment.strip():
        raise ValidationError("A comment cannot be empty.")
    with transaction.atomic():
        locked, revision = _lock(entry)
        state = working_state(locked, revision)
        return _record(
            locked,
            by=by,
            action=ReviewAction.COMMENT,
            old=state,
            new=state,
            comment=comment,
            on_working_copy=revision is not None,
        )


def assign_reviewer(entry: Editorial, *, by: Actor, reviewer, comment: str = "") -> Editorial:
    """Assign (or, with reviewer=None, unassign) the reviewer of an entry. Reviewers may assign
    themselves; publishers anyone. The reviewer must hold `review_<model>`."""
    from institute.models import ReviewAction

    if not (
        has_verb(by, entry, "publish")
        or (has_verb(by, entry, "review") and (reviewer is None or reviewer.pk == by.pk))
    ):
        raise PermissionDenied("You may not assign this entry's reviewer.")
    if reviewer is not None and not has_verb(reviewer, entry, "review"):
        raise ValidationError(f"{reviewer} cannot review this {entry._meta.verbose_name}.")
    with transaction.atomic():
        locked, revision = _lock(entry)
        state = working_state(locked, revision)
        locked.assigned_reviewer = reviewer
        _save_state(locked, by, "assigned_reviewer")
        _record(
            locked,
            by=by,
            action=ReviewAction.ASSIGN,
            old=state,
            new=state,
            comment=comment or (f"Assigned to {reviewer}." if reviewer else "Unassigned."),
            on_working_copy=revision is not None,
        )
    return locked


def revert(entry: Editorial, *, by: Actor, number: int, comment: str = "") -> EntryVersion:
    """Restore version `number` of an entry as a new version; history is never rewritten.
    Takes `publish_<model>` (publishers restore earlier versions).

    An entry that is not published gets the old version written to its row. A published entry
    gets it as its working copy, put in review: the public page changes only when it is
    published, after the diff has been seen.
    """
    from institute.models import EntryVersion, ReviewAction, VersionKind
    from institute.versions import (
        apply_snapshot,
        ensure_baseline,
        record_version,
        save_working_copy,
    )

    _check_permission(entry, by, "publish", "restore a version of")
    with transaction.atomic():
        locked, revision = _lock(entry)
        target = EntryVersion.objects.for_entry(locked).filter(number=number).first()
        if target is None:
            raise ValidationError(f"There is no version {number} of this entry.")
        note = comment or f"Reverted to version {number}."
        old_state = working_state(locked, revision)
        if locked.review_state == PUBLISHED:
            save_working_copy(
                locked,
                by=by,
                data=target.data,
                kind=VersionKind.REVERTED,
                state=IN_REVIEW,
                comment=note,
            )
            locked.submitted_by, locked.submitted_at = by, timezone.now()
            _save_state(locked, by, "submitted_by", "submitted_at")
            new_state, on_copy = IN_REVIEW, True
        else:
            ensure_baseline(locked)
            locked.version += 1
            locked.updated_by = by
            apply_snapshot(locked, target.data)
            record_version(locked, by=by, kind=VersionKind.REVERTED, comment=note)
            new_state, on_copy = old_state, False
        _record(
            locked,
            by=by,
            action=ReviewAction.REVERT,
            old=old_state,
            new=new_state,
            comment=note,
            on_working_copy=on_copy,
        )
        return EntryVersion.objects.for_entry(locked).get(number=locked.version)
