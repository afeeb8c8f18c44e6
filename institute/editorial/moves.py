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
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from institute.editorial import notices
from institute.editorial.edits import make_live, save_edit
from institute.editorial.history import authors_of, record_publication, record_withdrawal
from institute.editorial.models import ReviewAction, ReviewEvent, VersionKind
from institute.editorial.rights import approval_required, has_verb, perm_name, recorded_user
from institute.editorial.states import (
    ARCHIVED,
    DRAFT,
    IN_REVIEW,
    MOVE_RULES,
    PUBLISHED,
    state_label,
)
from institute.editorial.versions import content_type_of, pending_revision, state_of_work

if TYPE_CHECKING:
    from institute.editorial.models import Editorial, PendingRevision
    from institute.editorial.rights import Actor


class Move:
    """One move by one actor on one entry. Subclasses say what it takes and what it does."""

    # A template reads the class's name and label (the confirmation page), never calls it.
    do_not_call_in_templates = True
    name: ClassVar[str]
    label: ClassVar[str]
    verb: ClassVar[str]  # the permission it takes: `<app>.<verb>_<model>`
    action: ClassVar[str]  # the ReviewAction it logs
    done: ClassVar[str | None] = None  # what the admin says once done; else "<label>: done."
    needs_comment: ClassVar[bool] = False
    # Takes something off the public site: offered apart from the others, and asked again.
    destructive: ClassVar[bool] = False

    # Set by run(), under the lock.
    locked: Editorial
    revision: PendingRevision | None

    def __init__(self, entry: Editorial, *, by: Actor, comment: str = "", public_note: str = ""):
        self.entry, self.by, self.comment = entry, by, comment
        # Read by the moves that publish (the note shown to readers); ignored by the others.
        self.public_note = public_note

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
                gettext("You may not %(move)s this %(kind)s (it takes the “%(perm)s” permission).")
                % {
                    "move": self.what,
                    "kind": self.entry._meta.verbose_name,
                    "perm": perm_name(self.entry, self.verb),
                }
            )

    @property
    def state(self) -> str:
        """Where the entry's work stands (read under the lock, in `run`)."""
        return state_of_work(self.locked, self.revision)

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
            event = self.log(old, new, on_copy)
            notices.after_move(event, self.locked)  # sent once committed, if chosen
            return self.result(event)

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
    """A move from one review state to another: where from, where to and the permission it takes
    are its row of `states.MOVE_RULES`, read here by its name."""

    target: ClassVar[str]
    sources: ClassVar[tuple[str, ...]]
    row_only: ClassVar[bool] = False  # acts on the row even when a working copy exists

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        rule = MOVE_RULES[cls.name]
        cls.sources, cls.target, cls.verb = rule.sources, rule.target, rule.verb

    @classmethod
    def offered(cls, user: Actor, entry: Editorial, state: str) -> bool:
        """Whether the admin offers this move to the user, the entry's work being in `state`."""
        current = entry.review_state if cls.row_only else state
        return current in cls.sources and has_verb(user, entry, cls.verb)

    @property
    def on_copy(self) -> bool:
        """Whether the move concerns the working copy (read under the lock, in `run`)."""
        return self.revision is not None and not self.row_only

    @property
    def current(self) -> str:
        """The state the move starts from: the working copy's, or the row's."""
        return self.revision.state if self.on_copy else self.locked.review_state

    def check(self) -> None:
        if self.current not in self.sources:
            raise ValidationError(
                gettext(
                    "Cannot %(move)s: the move from %(current)s to %(target)s is not allowed "
                    "for this %(kind)s."
                )
                % {
                    "move": self.what,
                    "current": state_label(self.current),
                    "target": state_label(self.target),
                    "kind": self.locked._meta.verbose_name,
                },
                code="invalid_move",
            )

    def row_fields(self, now) -> list[str]:
        """Set what this move changes on the row besides its state; the names changed."""
        return []

    def execute(self) -> tuple[str, str, bool]:
        locked, revision, target = self.locked, self.revision, self.target
        old, on_copy = self.current, self.on_copy
        now = timezone.now()
        fields = self.row_fields(now)
        # Every move starts or ends a round of review; an approval belongs to one round.
        locked.approved_by, locked.approved_at, locked.approved_version = None, None, None
        fields += ["approved_by", "approved_at", "approved_version"]
        if on_copy and target != PUBLISHED:
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
            make_live(locked, revision.data, by=self.by)
            revision.delete()
        else:
            locked.review_state = target
            fields.append("review_state")
            if target == PUBLISHED:
                locked.published_at = now
                fields.append("published_at")
            self.save_row(*fields)
        return old, target, on_copy


class Submit(Transition):
    name, label = "submit", _("Submit for review")
    action = ReviewAction.SUBMIT

    def row_fields(self, now) -> list[str]:
        self.locked.submitted_by, self.locked.submitted_at = recorded_user(self.by), now
        return ["submitted_by", "submitted_at"]


class RequestChanges(Transition):
    name, label = "request_changes", _("Request changes")
    action = ReviewAction.REQUEST_CHANGES
    needs_comment = True

    def check(self) -> None:
        super().check()
        if not self.comment.strip():
            raise ValidationError(
                gettext("Say what to change: requesting changes needs a comment.")
            )


class Publish(Transition):
    name, label = "publish", _("Publish")
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
            if locked.approved_at is not None:  # lapsed
                message = gettext(
                    "Cannot %(move)s: version %(version)s has no approval (the one given was for "
                    "an earlier version). A reviewer other than its author must approve it first."
                )
            else:
                message = gettext(
                    "Cannot %(move)s: version %(version)s has no approval. A reviewer other than "
                    "its author must approve it first."
                )
            raise ValidationError(
                message % {"move": self.what, "version": locked.version}, code="not_approved"
            )

    def row_fields(self, now) -> list[str]:
        self.locked.assigned_reviewer = None
        return ["assigned_reviewer"]

    def execute(self) -> tuple[str, str, bool]:
        moved = super().execute()
        blockers = self.locked.publish_blockers()
        if blockers:  # raised inside the transaction: the applied copy is rolled back
            raise ValidationError(
                gettext("Cannot %(move)s: %(reasons)s")
                % {"move": self.what, "reasons": " ".join(str(b) for b in blockers)},
                code="blocked",
            )
        record_publication(
            self.locked, by=self.by, comment=self.comment, public_note=self.public_note
        )
        return moved


class Archive(Transition):
    name, label = "archive", _("Archive (unpublish)")
    action = ReviewAction.ARCHIVE
    destructive = True
    row_only = True

    def row_fields(self, now) -> list[str]:
        self.locked.assigned_reviewer = None
        return ["assigned_reviewer"]

    def execute(self) -> tuple[str, str, bool]:
        moved = super().execute()
        record_withdrawal(self.locked, by=self.by, comment=self.comment)
        return moved


class Reopen(Transition):
    name, label = "reopen", _("Reopen as draft")
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
            record_publication(locked, by=self.by, comment=self.comment)
            return DRAFT, PUBLISHED, False
        make_live(locked, revision.data, by=self.by)
        revision.delete()
        record_publication(locked, by=self.by, comment=self.comment)
        return revision.state, PUBLISHED, True


class ProposeLoaded(Move):
    """Propose what the content loader read (`load_content --update`) as the entry's next
    version, for review: the system path, like `PublishLoaded`, with no permission check. A
    published entry gets it as its working copy, put in review; a draft or an archived entry
    as a new version of its row, which is not public. It never publishes, and it leaves alone
    an entry whose work is already in review (its editors' copy is not replaced)."""

    name, label, action = "propose_loaded", _("Propose loaded content"), ReviewAction.SUBMIT

    def __init__(self, entry, *, by, data: dict, comment: str):
        super().__init__(entry, by=by, comment=comment)
        self.data = data

    def check_permission(self) -> None:
        pass

    def check(self) -> None:
        if self.state not in (DRAFT, PUBLISHED, ARCHIVED):
            raise ValidationError(
                f"Cannot propose loaded content: the work on this "
                f"{self.locked._meta.verbose_name} is {state_label(self.state)}."
            )

    def execute(self) -> tuple[str, str, bool]:
        old, published = self.state, self.locked.review_state == PUBLISHED
        self.locked = save_edit(
            self.locked,
            self.data,
            by=self.by,
            kind=VersionKind.IMPORTED,
            comment=self.comment,
            copy_state=IN_REVIEW if published else None,
        )
        if not published:
            self.action = ReviewAction.COMMENT  # the draft's state is its editors' to move
            return old, old, False
        self.locked.submitted_by, self.locked.submitted_at = recorded_user(self.by), timezone.now()
        self.save_row("submitted_by", "submitted_at")
        return old, IN_REVIEW, True


class Approve(Move):
    """Approve the version in review: it stays in review, flagged approved (who, when, which
    version), and may now be published. Its authors may not."""

    name, label, verb, action = "approve", _("Approve"), "review", ReviewAction.APPROVE
    done = _("Approved.")

    def check(self) -> None:
        if self.state != IN_REVIEW:
            raise ValidationError(
                gettext("Cannot approve: the entry is %(state)s, not in review.")
                % {"state": state_label(self.state)}
            )
        if getattr(self.by, "pk", None) in authors_of(self.locked):
            raise PermissionDenied(
                gettext(
                    "You may not approve your own work (you saved or submitted part of what is in "
                    "review since it was last published): another reviewer must read it."
                )
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
            raise PermissionDenied(gettext("You may not comment on this entry's review."))
        if not self.comment.strip():
            raise ValidationError(gettext("A comment cannot be empty."))

    def execute(self) -> tuple[str, str, bool]:
        state = self.state
        return state, state, self.revision is not None

    def result(self, event: ReviewEvent):
        return event


class AssignReviewer(Move):
    """Assign (or, with reviewer=None, unassign) the reviewer of an entry. Reviewers may assign
    themselves; publishers anyone. The reviewer must hold `review_<model>`."""

    name, label, action = "assign", _("Assign a reviewer"), ReviewAction.ASSIGN

    def __init__(self, entry, *, by, reviewer, comment: str = "", public_note: str = ""):
        super().__init__(entry, by=by, comment=comment, public_note=public_note)
        self.reviewer = reviewer

    def permitted(self) -> bool:
        reviewer, by, entry = self.reviewer, self.by, self.entry
        return has_verb(by, entry, "publish") or (
            has_verb(by, entry, "review") and (reviewer is None or reviewer.pk == by.pk)
        )

    def check_permission(self) -> None:
        if not self.permitted():
            raise PermissionDenied(gettext("You may not assign this entry's reviewer."))
        if self.reviewer is not None and not has_verb(self.reviewer, self.entry, "review"):
            raise ValidationError(
                gettext("%(reviewer)s cannot review this %(kind)s.")
                % {"reviewer": self.reviewer, "kind": self.entry._meta.verbose_name}
            )

    def execute(self) -> tuple[str, str, bool]:
        state = self.state
        self.locked.assigned_reviewer = self.reviewer
        self.save_row("assigned_reviewer")
        if not self.comment:
            self.comment = f"Assigned to {self.reviewer}." if self.reviewer else "Unassigned."
        return state, state, self.revision is not None


class AssignToMe(AssignReviewer):
    """The admin's "assign to me": the actor becomes the entry's reviewer."""

    name, label, done = "assign_me", _("Assign to me"), _("You are this entry's reviewer.")

    def __init__(self, entry, *, by, comment: str = "", public_note: str = ""):
        # Posted by the review panel as every move is, the public note with it (ignored here).
        super().__init__(entry, by=by, reviewer=by, comment=comment, public_note=public_note)


TRANSITION_MOVES: dict[str, type[Transition]] = {
    move.name: move for move in (Submit, RequestChanges, Publish, Archive, Reopen)
}
# What the admin's review panel and the `review` command may post, by name.
MOVES: dict[str, type[Move]] = {
    **TRANSITION_MOVES,
    **{move.name: move for move in (Approve, Comment, AssignToMe)},
}
