"""Reads of recommendations for the public site: every one starts from published()."""

from django.db.models import Count, F, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404

from institute.dates import undated_last
from institute.editorial.states import PUBLISHED
from institute.sources.models import Citation
from recommendations.filters import RecommendationFilter
from recommendations.models import Audience, Implementation, Recommendation, ResponseRelation


def recommendation_filter_public(*, params) -> RecommendationFilter:
    return RecommendationFilter(params, queryset=Recommendation.objects.published().for_listing())


def recommendation_get_public(*, slug: str) -> Recommendation:
    return get_object_or_404(Recommendation.objects.published().for_detail(), slug=slug)


# A recommendation's page shows each relation's first reforms (answering, anticipating, bearing
# on it); the rest are one link away, in the reform listing (`?responds_to=`).
RESPONSES_SHOWN = 25


def recommendation_responses_public(*, recommendation: Recommendation) -> QuerySet:
    """The published reforms linked to a recommendation, in date order: its timeline, each
    relation's first RESPONSES_SHOWN, each row with its relation's whole count (`of`). The
    responses are the reforms' (read through the reverse relation, read-only)."""
    # A reform whose source gives no date ends the timeline rather than opening it.
    in_date_order = [
        undated_last("reform__first_date"),
        F("reform__first_date").asc(),
        F("reform__title").asc(),
    ]
    return (
        recommendation.responses.filter(reform__review_state=PUBLISHED)
        .annotate(
            place=Window(RowNumber(), partition_by=F("relation"), order_by=in_date_order),
            of=Window(Count("id"), partition_by=F("relation")),
        )
        .filter(place__lte=RESPONSES_SHOWN)
        .select_related("reform")
        .prefetch_related(
            Prefetch("citations", queryset=Citation.objects.published().select_related("source"))
        )
        .order_by(*in_date_order)
    )


def recommendation_scorecard_public() -> list[dict]:
    """Published recommendations by audience, with rating and how many reforms answer each (and
    anticipate it)."""
    rows = (
        Recommendation.objects.published()
        .select_related("report")
        .annotate(
            # Only a reform after the recommendation answers it; one before anticipates it.
            answered_by=Count(
                "responses",
                filter=Q(
                    responses__reform__review_state=PUBLISHED,
                    responses__relation=ResponseRelation.ANSWERS,
                ),
            ),
            anticipated_by=Count(
                "responses",
                filter=Q(
                    responses__reform__review_state=PUBLISHED,
                    responses__relation=ResponseRelation.ANTICIPATES,
                ),
            ),
        )
        .order_by("report", "position")
    )
    groups = {value: [] for value in Audience.values}
    for rec in rows:
        groups[rec.audience].append(rec)
    return [
        {
            "audience": value,
            "label": label,
            "recommendations": groups[value],
            "tally": [
                (impl_value, impl_label, sum(r.implementation == impl_value for r in groups[value]))
                for impl_value, impl_label in Implementation.choices
            ],
        }
        for value, label in Audience.choices
    ]
