"""Reads of recommendations for the public site: every one starts from published()."""

from django.shortcuts import get_object_or_404

from recommendations.filters import RecommendationFilter
from recommendations.models import Recommendation


def recommendation_filter_public(*, params) -> RecommendationFilter:
    return RecommendationFilter(params, queryset=Recommendation.objects.published().for_listing())


def recommendation_get_public(*, slug: str) -> Recommendation:
    return get_object_or_404(Recommendation.objects.published().for_detail(), slug=slug)
