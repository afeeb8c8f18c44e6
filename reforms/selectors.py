"""Reads of reforms for the public site: every one starts from published()."""

from django.db.models import Count, F, QuerySet
from django.shortcuts import get_object_or_404

from recommendations.models import Recommendation, Response
from reforms.filters import ReformFilter
from reforms.models import Reform, SecondaryArea

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


def reform_counts_per_area_public() -> tuple[dict[str, int], int]:
    """Published reforms per area, each counted in its own area and in its secondary ones, as
    the listing's `area` filter finds them (a reform filed under two areas counts in both);
    and how many there are."""
    published = Reform.objects.published()
    counts = dict(published.values_list("area").annotate(n=Count("pk")).order_by())
    total = sum(counts.values())
    secondary = (
        SecondaryArea.objects.filter(reform__in=published)
        .exclude(area=F("reform__area"))
        .values_list("area")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for area, n in secondary:
        counts[area] = counts.get(area, 0) + n
    return counts, total
