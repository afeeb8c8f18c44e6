"""The review states of an editorial entry and the moves allowed between them."""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


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


@dataclass(frozen=True)
class MoveRule:
    """A move between review states: from where, to where, and the permission verb it takes
    (`<app>.<verb>_<model>`)."""

    sources: tuple[str, ...]
    target: str
    verb: str


# The one table of moves between states, by move name: the move classes (editorial.moves) read
# their target and verb here, and the admin and the `review` command offer what it allows.
MOVE_RULES: dict[str, MoveRule] = {
    "submit": MoveRule((DRAFT, CHANGES_REQUESTED), IN_REVIEW, "submit"),
    "request_changes": MoveRule((IN_REVIEW,), CHANGES_REQUESTED, "review"),
    "publish": MoveRule((IN_REVIEW,), PUBLISHED, "publish"),
    "archive": MoveRule((PUBLISHED,), ARCHIVED, "publish"),
    "reopen": MoveRule((ARCHIVED,), DRAFT, "publish"),
}

# The same table as the graph of states: every allowed (from, to) pair and its verb.
TRANSITIONS: dict[tuple[str, str], str] = {
    (source, rule.target): rule.verb for rule in MOVE_RULES.values() for source in rule.sources
}

# The states a working copy of a published entry may be in (it is published by being applied).
WORKING_COPY_STATES = (DRAFT, IN_REVIEW, CHANGES_REQUESTED)


def state_label(state: str) -> str:
    """ "in review", "draft": a state as a sentence names it."""
    return str(ReviewState(state).label).lower()
