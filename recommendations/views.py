from django.shortcuts import render
from django.urls import reverse

from institute.datasets.views import export_filtered
from institute.editorial.history import public_dates, public_record
from institute.listings.paging import listing_context
from institute.sharing import structured_data
from institute.sharing.cite import reference, reference_download
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
    record = public_dates(recommendation)
    cite = reference(
        recommendation,
        url=request.build_absolute_uri(recommendation.get_absolute_url()),
        kind="recommendation",
        dates=record,
    )
    work = structured_data.creative_work(
        cite,
        description=recommendation.text,
        base_url=request.build_absolute_uri("/"),
        keywords=[
            recommendation.get_audience_display(),
            *(t.name for t in recommendation.themes.all()),
        ],
        dataset_url=request.build_absolute_uri(reverse("data")),
    )
    return render(
        request,
        "recommendations/recommendation_detail.html",
        {
            "recommendation": recommendation,
            "responses": recommendation_responses_public(recommendation=recommendation),
            "cite": cite,
            "structured_data": structured_data.as_script(work),
            "record": record,
        },
    )


def recommendation_history(request, slug):
    """The recommendation's public history: each version the public saw, what changed, why."""
    recommendation = recommendation_get_public(slug=slug)
    return render(
        request,
        "recommendations/recommendation_history.html",
        {
            "entry": recommendation,
            "events": public_record(recommendation),
            "record": public_dates(recommendation),
        },
    )


def recommendation_cite(request, slug, fmt):
    """The recommendation's reference as BibTeX (`cite.bib`) or RIS (`cite.ris`)."""
    recommendation = recommendation_get_public(slug=slug)
    return reference_download(request, recommendation, kind="recommendation", fmt=fmt)
