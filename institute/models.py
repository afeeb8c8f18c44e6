"""The institute app's models. Each is defined in the sub-package that owns it; Django finds an
app's models through this module, so it imports them all."""

from institute.alerts.models import Subscription
from institute.datasets.models import ImportJob, Release
from institute.editorial.models import EntryVersion, PendingRevision, ReviewEvent, ReviewNotices
from institute.sources.models import Citation, Source

__all__ = [
    "Citation",
    "EntryVersion",
    "ImportJob",
    "PendingRevision",
    "Release",
    "ReviewEvent",
    "ReviewNotices",
    "Source",
    "Subscription",
]
