"""Reads of reforms for the public site: every one starts from published()."""

from urllib.parse import urlencode

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from recommendations.models import Recommendation
from reforms.filters import ReformFilter
from reforms.models import RETIRED_TOPICS, Reform, Response, Topic

RELATED_LIMIT = 5


def reform_filter_public(*, params) -> ReformFilter:
    """The bound FilterSet over published reforms; `.qs` is the filtered, sorted rows."""
    return ReformFilter(params, queryset=Reform.objects.published().for_listing())


def reform_get_public(*, slug: str) -> Reform:
    return get_object_or_404(Reform.objects.published().for_detail(), slug=slug)


def reform_responses_public(*, reform: Reform) -> QuerySet[Response]:
    """The published recommendations a reform answers, with how."""
    return (
        Response.objects.filter(
            reform=reform, recommendation__in=Recommendation.objects.published()
        )
        .select_related("recommendation")
        .order_by("recommendation__position")
    )


def reform_related_public(*, reform: Reform) -> QuerySet[Reform]:
    """Other published reforms sharing a topic, most recent first."""
    topic_ids = [t.pk for t in reform.topics.all()]
    # A subquery, not a join and DISTINCT: the newest five are read in index order, not every
    # reform of the topics sorted.
    sharing = Reform.topics.through.objects.filter(topic_id__in=topic_ids).values("reform_id")
    return (
        Reform.objects.published()
        .filter(pk__in=sharing)
        .exclude(pk=reform.pk)
        .order_by("-first_date", "title")[:RELATED_LIMIT]
    )


def retired_topics_redirect(*, params) -> str | None:
    """The query string with each retired topic slug replaced by its successor, or None when
    there is none to replace (or the old topic still exists: it is then a filter like any)."""
    asked = [slug for slug in params.getlist("topic") if slug in RETIRED_TOPICS]
    if not asked:
        return None
    still = set(Topic.objects.filter(slug__in=asked).values_list("slug", flat=True))
    moved = {slug: RETIRED_TOPICS[slug] for slug in asked if slug not in still}
    if not moved:
        return None
    pairs = []
    for key, values in params.lists():
        for value in values:
            new = moved.get(value, value) if key == "topic" else value
            if (key, new) not in pairs:
                pairs.append((key, new))
    return "?" + urlencode(pairs)
