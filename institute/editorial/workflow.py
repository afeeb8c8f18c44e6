"""The editorial review workflow's services: what the admin's buttons and actions, imports, the
content loader and the `review` management command call.

A reform's `status` is what happened in the world; an entry's `review_state` is where it stands
in our review. Nothing but these services changes `review_state`. Each is one move of
institute.editorial.moves: it checks the actor's permission (`PermissionDenied`), then that the
move is allowed from the current state (`ValidationError` naming the move and the state), all
in one transaction holding the entry's row lock, and writes one `ReviewEvent`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from institute.editorial import moves
from institute.editorial.restore import Revert
from institute.editorial.states import ARCHIVED, DRAFT, PUBLISHED
from institute.editorial.versions import working_state

if TYPE_CHECKING:
    from institute.editorial.models import Editorial, EntryVersion, ReviewEvent
    from institute.editorial.rights import Actor


def allowed_moves(user: Actor, entry: Editorial) -> list[str]:
    """The transitions this user may take on this entry now: what the admin offers, no more."""
    state = working_state(entry)
    return [
        name for name, move in moves.TRANSITION_MOVES.items() if move.offered(user, entry, state)
    ]


def submit_for_review(entry: Editorial, *, by: Actor, comment: str = "") -> Editorial:
    """Put a draft (or an entry whose changes were requested) in review. Takes `submit_<model>`.

    On a published entry this submits its working copy; the public row is untouched.
    """
    return moves.Submit(entry, by=by, comment=comment).run()


def request_changes(entry: Editorial, *, by: Actor, comment: str) -> Editorial:
    """Send an entry in review back to its authors, saying what to change (the comment is
    required). Takes `review_<model>`."""
    return moves.RequestChanges(entry, by=by, comment=comment).run()


def approve(entry: Editorial, *, by: Actor, comment: str = "") -> ReviewEvent:
    """Approve the version in review, so that it may be published. Takes `review_<model>`; its
    authors may not."""
    return moves.Approve(entry, by=by, comment=comment).run()


def publish(entry: Editorial, *, by: Actor, comment: str = "", public_note: str = "") -> Editorial:
    """Make an entry in review public. Takes `publish_<model>` and a current approval.

    For a published entry with a working copy in review, the copy is applied to the row (fields,
    many-to-many, citations, responses) and discarded: the public sees it from now on.
    `public_note` tells readers what changed (its public history shows it); `comment` stays in
    the review log.
    """
    return moves.Publish(entry, by=by, comment=comment, public_note=public_note).run()


def archive(entry: Editorial, *, by: Actor, comment: str = "") -> Editorial:
    """Take a published entry off the public site. Takes `publish_<model>`."""
    return moves.Archive(entry, by=by, comment=comment).run()


def reopen(entry: Editorial, *, by: Actor, comment: str = "") -> Editorial:
    """Make an archived entry a draft again, to be edited and reviewed. Takes `publish_<model>`."""
    return moves.Reopen(entry, by=by, comment=comment).run()


def publish_loaded(entry: Editorial, *, by: Actor = None, comment: str = "") -> Editorial:
    """Publish what the content loader has just written: a new draft, or the working copy of a
    published entry (see moves.PublishLoaded)."""
    return moves.PublishLoaded(entry, by=by, comment=comment).run()


def propose_loaded(entry: Editorial, data: dict, *, by: Actor = None, comment: str) -> bool:
    """Propose what the content loader read as the entry's next version, in review (see
    moves.ProposeLoaded). False, and nothing written, when its work is already in review."""
    if working_state(entry) not in (ARCHIVED, DRAFT, PUBLISHED):
        return False
    moves.ProposeLoaded(entry, by=by, data=data, comment=comment).run()
    return True


def add_comment(entry: Editorial, *, by: Actor, comment: str) -> ReviewEvent:
    """Add a comment to the entry's review log. Takes any of the workflow permissions."""
    return moves.Comment(entry, by=by, comment=comment).run()


def assign_reviewer(entry: Editorial, *, by: Actor, reviewer, comment: str = "") -> Editorial:
    """Assign (or, with reviewer=None, unassign) the reviewer of an entry."""
    return moves.AssignReviewer(entry, by=by, reviewer=reviewer, comment=comment).run()


def revert(entry: Editorial, *, by: Actor, number: int, comment: str = "") -> EntryVersion:
    """Restore version `number` of an entry as a new version. Takes `publish_<model>`."""
    return Revert(entry, by=by, number=number, comment=comment).run()
