from django.shortcuts import render

from institute.datasets.views import export_filtered
from institute.editorial.history import public_dates, public_record
from institute.listings.paging import listing_context
from reforms.selectors import (
    reform_filter_public,
    reform_get_public,
    reform_related_public,
    reform_responses_public,
)


def reform_export(request, fmt):
    filterset = reform_filter_public(params=request.GET)
    return export_filtered(request, table_name="reforms", filterset=filterset, fmt=fmt)


def reform_list(request):
    filterset = reform_filter_public(params=request.GET)
    context = listing_context(request, filterset, name="reforms")
    return render(request, "reforms/reform_list.html", context)


def reform_detail(request, slug):
    reform = reform_get_public(slug=slug)
    return render(
        request,
        "reforms/reform_detail.html",
        {
            "reform": reform,
            "responses": reform_responses_public(reform=reform),
            "related": reform_related_public(reform=reform),
            "record": public_dates(reform),
        },
    )


def reform_history(request, slug):
    """The reform's public history: each version the public saw, what changed, and why."""
    reform = reform_get_public(slug=slug)
    return render(
        request,
        "reforms/reform_history.html",
        {"entry": reform, "events": public_record(reform), "record": public_dates(reform)},
    )
