"""The editorial review states shared by reforms, recommendations and sources.

A reform's `status` is what happened in the world; an entry's `review_state` is where it stands
in our review. The transitions (submit, request changes, publish, archive, reopen) are services
added here by the workflow work; nothing else may change `review_state`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in-review", _("In review")
    CHANGES_REQUESTED = "changes-requested", _("Changes requested")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")
