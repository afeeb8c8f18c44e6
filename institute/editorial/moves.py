"""Each review move as one small class: check, then execute, then log.

`Move.run()` checks the actor's permission (`PermissionDenied`), then, in one transaction holding
the entry's row lock (two people may click at once), checks the move may be taken now
(`ValidationError` naming the move and the state), takes it, and writes one `ReviewEvent`.

A published entry's row is what the public reads; an edit to it goes into its working copy
(`PendingRevision`), with its own review state. Submit, request changes and publish act on the
working copy when there is one (publish applies it); archive and reopen act on the row, and
archiving folds a pending copy into it (no longer public: nothing lost, nothing unreviewed shown).

`MOVES` is the one registry of what the admin's buttons and actions, and the `review` command,
may post; `TRANSITION_MOVES` are the moves that change a state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from institute.editorial.models import ReviewAction, ReviewEvent
from institute.editorial.rights import approval_required, has_verb, perm_name, recorded_user
from institute.editorial.states import (
    ARCHIVED,
    CHANGES_REQUESTED,
    DRAFT,
    IN_REVIEW,
    PUBLISHED,
    TRANSITIONS,
    state_label,
)
from institute.editorial.versions import (
    apply_snapshot,
    content_type_of,
    pending_revision,
    working_state,
)

if TYPE_CHECKING:
    from institute.editorial.models import Editorial, PendingRevision
    from institute.editorial.rights import Actor


def authors_of(entry: Editorial, revision=None, *, look_up: bool = True) -> set[int]:
    """Who wrote the work in review, and so may not approve it: who submitted it and who saved
    it last (the working copy's editor for a published entry). `revision` is the entry's working
    copy if the caller has it; with `look_up` (and none given) it is read."""
    if revision is None and look_up and entry.review_state == PUBLISHED:
        revision = pending_revision(entry)
    editor = revision.updated_by_id if revision is not None else entry.updated_by_id
    return {pk for pk in (entry.submitted_by_id, editor) if pk is not None}


class Move:
    """One move by one actor on one entry. Subclasses say what it takes and what it does."""

    name: ClassVar[str]
    label: ClassVar[str]
    verb: ClassVar[str]  # the permission it takes: `<app>.<verb>_<model>`
    action: ClassVar[str]  # the ReviewAction it logs
    done: ClassVar[str | None] = None  # what the admin says once done; else "<label>: done."
    needs_comment: ClassVar[bool] = False

    # Set by run(), under the lock.
    locked: Editorial
    revision: PendingRevision | None

    def __init__(self, entry: Editorial, *, by: Actor, comment: str = ""):
        self.entry, self.by, self.comment = entry, by, comment

    @classmethod
    def done_message(cls) -> str:
        if cls.done:
            return str(cls.done)
        return _("%(move)s: done.") % {"move": cls.label}

    @property
    def what(self) -> str:
        return str(self.label).lower()

    def permitted(self) -> bool:
        return has_verb(self.by, self.entry, self.verb)

    def check_permission(self) -> None:
        if not self.permitted():
            raise PermissionDenied(
                f"You may not {self.what} this {self.entry._meta.verbose_name} "
                f"(it takes the “{perm_name(self.entry, self.verb)}” permission)."
            )

    def check(self) -> None:
        """Refuse the move (ValidationError) if it may not be taken now; nothing is written."""

    def execute(self) -> tuple[str, str, bool]:
        """Take the move; returns the state it went from, the state it reached, and whether it
        concerned the working copy."""
        raise NotImplementedError

    def result(self, event: ReviewEvent):
        return self.locked

    def run(self):
        self.check_permission()
        with transaction.atomic():
            self.locked = (
                type(self.entry)._default_manager.select_for_update().get(pk=self.entry.pk)
            )
            self.revision = pending_revision(self.locked, for_update=True)
            self.check()
            old, new, on_copy = self.execute()
            return self.result(self.log(old, new, on_copy))

    def log(self, old: str, new: str, on_copy: bool) -> ReviewEvent:
        return ReviewEvent.objects.create(
            content_type=content_type_of(self.locked),
            object_id=self.locked.pk,
            action=self.action,
            from_state=old,
            to_state=new,
            on_working_copy=on_copy,
            version=self.locked.version,
            actor=recorded_user(self.by),
            comment=self.comment,
        )

    def save_row(self, *fields: str) -> None:
        self.locked.save(update_fields=list(fields))


class Transition(Move):
    """A move from one review state to another (the graph in `states.TRANSITIONS`)."""

    target: ClassVar[str]
    row_only: ClassVar[bool] = False  # acts on the row even when a working copy exists

    @classmethod
    def offered(cls, user: Actor, entry: Editorial, state: str) -> bool:
        """Whether the admin offers this move to the user, the entry's work being in `state`."""
        current = entry.review_state if cls.row_only else state
        return (current, cls.target) in TRANSITIONS and has_verb(user, entry, cls.verb)

    def check(self) -> None:
        self.on_copy = self.revision is not None and not self.row_only
        self.current = self.revision.state if self.on_copy else self.locked.review_state
        if (self.current, self.target) not in TRANSITIONS:
            raise ValidationError(
                f"Cannot {self.what}: the move from {state_label(self.current)} to "
                f"{state_label(self.target)} is not allowed for this "
                f"{self.locked._meta.verbose_name}.",
                code="invalid_move",
            )

    def row_fields(self, now) -> list[str]:
        """Set what this move changes on the row besides its state; the names changed."""
        return []

    def execute(self) -> tuple[str, str, bool]:
        locked, revision, target = self.locked, self.revision, self.target
        now = timezone.now()
        fields = self.row_fields(now)
        # Every move starts or ends a round of review; an approval belongs to one round.
        locked.approved_by, locked.approved_at, locked.approved_version = None, None, None
        fields += ["approved_by", "approved_at", "approved_version"]
        if self.on_copy and target != PUBLISHED:
            # Only the working copy moves; the public row stays as it is.
            revision.state = target
            revision.save(update_fields=["state", "updated_at"])
            self.save_row(*fields)
        elif revision is not None and target in (PUBLISHED, ARCHIVED):
            # Publishing applies the working copy; archiving folds it into the row, which then
            # is no longer public. Either way the copy's content becomes the row.
            locked.review_state = target
            if target == PUBLISHED:
                locked.published_at = now
            locked.updated_by = recorded_user(self.by) or locked.updated_by
            apply_snapshot(locked, revision.data)
            revision.delete()
        else:
            locked.review_state = target
            fields.append("review_state")
            if target == PUBLISHED:
                locked.published_at = now
                fields.append("published_at")
            self.save_row(*fields)
        return self.current, target, self.on_copy


class Submit(Transition):
    name, label, verb, target = "submit", _("Submit for review"), "submit", IN_REVIEW
    action = ReviewAction.SUBMIT

    def row_fields(self, now) -> list[str]:
        self.locked.submitted_by, self.locked.submitted_at = recorded_user(self.by), now
        return ["submitted_by", "submitted_at"]


class RequestChanges(Transition):
    name, label, verb, target = "request_changes", _("Request changes"), "review", CHANGES_REQUESTED
    action = ReviewAction.REQUEST_CHANGES
    needs_comment = True

    def check(self) -> None:
        super().check()
        if not self.comment.strip():
            raise ValidationError("Say what to change: requesting changes needs a comment.")


class Publish(Transition):
    name, label, verb, target = "publish", _("Publish"), "publish", PUBLISHED
    action = ReviewAction.PUBLISH

    @classmethod
    def offered(cls, user, entry, state) -> bool:
        # Offered once a reviewer has approved this version.
        approved = entry.is_approved or not approval_required()
        return approved and super().offered(user, entry, state)

    def check(self) -> None:
        super().check()
        locked = self.locked
        if approval_required() and not locked.is_approved:
            lapsed = locked.approved_at is not None
            raise ValidationError(
                f"Cannot {self.what}: version {locked.version} has no approval"
                + (" (the one given was for an earlier version)" if lapsed else "")
                + ". A reviewer other than its author must approve it first.",
                code="not_approved",
            )

    def row_fields(self, now) -> list[str]:
        self.locked.assigned_reviewer = None
        return ["assigned_reviewer"]

    def execute(self) -> tuple[str, str, bool]:
        moved = super().execute()
        blockers = self.locked.publish_blockers()
        if blockers:  # raised inside the transaction: the applied copy is rolled back
            raise ValidationError(f"Cannot {self.what}: {' '.join(blockers)}", code="blocked")
        return moved


class Archive(Transition):
    name, label, verb, target = "archive", _("Archive (unpublish)"), "publish", ARCHIVED
    action = ReviewAction.ARCHIVE
    row_only = True

    def row_fields(self, now) -> list[str]:
        self.locked.assigned_reviewer = None
        return ["assigned_reviewer"]


class Reopen(Transition):
    name, label, verb, target = "reopen", _("Reopen as draft"), "publish", DRAFT
    action = ReviewAction.REOPEN
    row_only = True


class PublishLoaded(Move):
    """Publish what the content loader has just written (a new draft, or the working copy of
    a published entry, applied to the row): the system path. The curated content comes from
    published reports and is reviewed in the repository by diff, so there is no in-review step
    and no permission check (running `manage.py load_content` is the authority; `by` is its
    `--as` user or None). It writes a review event like any other move; no screen offers it.
    """

    name, label, action = "publish_loaded", _("Publish loaded content"), ReviewAction.PUBLISH

    def check_permission(self) -> None:
        pass

    def check(self) -> None:
        state = self.locked.review_state
        if state != DRAFT and not (state == PUBLISHED and self.revision is not None):
            raise ValidationError(
                f"Cannot publish loaded content: the {self.locked._meta.verbose_name} is "
                f"{state_label(state)}, not a draft or a published entry with a working copy."
            )

    def execute(self) -> tuple[str, str, bool]:
        self.comment = self.comment or "Loaded from the curated content (fixtures/content)."
        locked, revision = self.locked, self.revision
        locked.published_at = timezone.now()
        if revision is None:
            locked.review_state = PUBLISHED
            self.save_row("review_state", "published_at")
            return DRAFT, PUBLISHED, False
        locked.updated_by = recorded_user(self.by) or locked.updated_by
        apply_snapshot(locked, revision.data)
        revision.delete()
        return revision.state, PUBLISHED, True


class Approve(Move):
    """Approve the version in review: it stays in review, flagged approved (who, when, which
    version), and may now be published. Its authors may not."""

    name, label, verb, action = "approve", _("Approve"), "review", ReviewAction.APPROVE
    done = _("Approved.")

    def check(self) -> None:
        self.state = working_state(self.locked, self.revision)
        if self.state != IN_REVIEW:
            raise ValidationError(
                f"Cannot approve: the entry is {state_label(self.state)}, not in review."
            )
        authors = authors_of(self.locked, self.revision, look_up=False)
        if getattr(self.by, "pk", None) in authors:
            raise PermissionDenied(
                "You may not approve your own work: another reviewer must read it."
            )

    def execute(self) -> tuple[str, str, bool]:
        locked = self.locked
        locked.approved_by, locked.approved_at = self.by, timezone.now()
        locked.approved_version = locked.version
        self.save_row("approved_by", "approved_at", "approved_version")
        return self.state, self.state, self.revision is not None

    def result(self, event: ReviewEvent):
        return event


class Comment(Move):
    """A comment on the entry's review log. Takes any of the workflow permissions."""

    name, label, action = "comment", _("Comment"), ReviewAction.COMMENT
    done = _("Comment added.")

    def permitted(self) -> bool:
        return any(has_verb(self.by, self.entry, verb) for verb in ("submit", "review", "publish"))

    def check_permission(self) -> None:
        if not self.permitted():
            raise PermissionDenied("You may not comment on this entry's review.")
        if not self.comment.strip():
            raise ValidationError("A comment cannot be empty.")

    def execute(self) -> tuple[str, str, bool]:
        state = working_state(self.locked, self.revision)
        return state, state, self.revision is not None

    def result(self, event: ReviewEvent):
        return event


class AssignReviewer(Move):
    """Assign (or, with reviewer=None, unassign) the reviewer of an entry. Reviewers may assign
    themselves; publishers anyone. The reviewer must hold `review_<model>`."""

    name, label, action = "assign", _("Assign a reviewer"), ReviewAction.ASSIGN

    def __init__(self, entry, *, by, reviewer, comment: str = ""):
        super().__init__(entry, by=by, comment=comment)
        self.reviewer = reviewer

    def permitted(self) -> bool:
        reviewer, by, entry = self.reviewer, self.by, self.entry
        return has_verb(by, entry, "publish") or (
            has_verb(by, entry, "review") and (reviewer is None or reviewer.pk == by.pk)
        )

    def check_permission(self) -> None:
        if not self.permitted():
            raise PermissionDenied("You may not assign this entry's reviewer.")
        if self.reviewer is not None and not has_verb(self.reviewer, self.entry, "review"):
            raise ValidationError(
                f"{self.reviewer} cannot review this {self.entry._meta.verbose_name}."
            )

    def execute(self) -> tuple[str, str, bool]:
        state = working_state(self.locked, self.revision)
        self.locked.assigned_reviewer = self.reviewer
        self.save_row("assigned_reviewer")
        if not self.comment:
            self.comment = f"Assigned to {self.reviewer}." if self.reviewer else "Unassigned."
        return state, state, self.revision is not None


class AssignToMe(AssignReviewer):
    """The admin's "assign to me": the actor becomes the entry's reviewer."""

    name, label, done = "assign_me", _("Assign to me"), _("You are this entry's reviewer.")

    def __init__(self, entry, *, by, comment: str = ""):
        super().__init__(entry, by=by, reviewer=by, comment=comment)


TRANSITION_MOVES: dict[str, type[Transition]] = {
    move.name: move for move in (Submit, RequestChanges, Publish, Archive, Reopen)
}
# What the admin's review panel and the `review` command may post, by name.
MOVES: dict[str, type[Move]] = {
    **TRANSITION_MOVES,
    **{move.name: move for move in (Approve, Comment, AssignToMe)},
}
