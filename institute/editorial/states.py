"""The review states of an editorial entry and the moves allowed between them."""

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

# Every allowed move, and the permission verb it takes (`<app>.<verb>_<model>`).
TRANSITIONS: dict[tuple[str, str], str] = {
    (DRAFT, IN_REVIEW): "submit",
    (CHANGES_REQUESTED, IN_REVIEW): "submit",
    (IN_REVIEW, CHANGES_REQUESTED): "review",
    (IN_REVIEW, PUBLISHED): "publish",
    (PUBLISHED, ARCHIVED): "publish",
    (ARCHIVED, DRAFT): "publish",
}

# The states a working copy of a published entry may be in (it is published by being applied).
WORKING_COPY_STATES = (DRAFT, IN_REVIEW, CHANGES_REQUESTED)


def state_label(state: str) -> str:
    """ "in review", "draft": a state as a sentence names it."""
    return str(ReviewState(state).label).lower()
