from django.shortcuts import render

from institute.datasets.views import export_filtered
from institute.listings.paging import listing_context
from recommendations.selectors import (
    recommendation_filter_public,
    recommendation_get_public,
    recommendation_responses_public,
    recommendation_scorecard_public,
)


def recommendation_export(request, fmt):
    filterset = recommendation_filter_public(params=request.GET)
    return export_filtered(request, table_name="recommendations", filterset=filterset, fmt=fmt)


def recommendation_list(request):
    filterset = recommendation_filter_public(params=request.GET)
    context = listing_context(request, filterset, name="recommendations")
    return render(request, "recommendations/recommendation_list.html", context)


def recommendation_tracker(request):
    return render(
        request,
        "recommendations/tracker.html",
        {"groups": recommendation_scorecard_public()},
    )


def recommendation_detail(request, slug):
    recommendation = recommendation_get_public(slug=slug)
    return render(
        request,
        "recommendations/recommendation_detail.html",
        {
            "recommendation": recommendation,
            "responses": recommendation_responses_public(recommendation=recommendation),
        },
    )
