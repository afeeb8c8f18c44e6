from django.shortcuts import redirect, render
from django.urls import reverse

from institute.datasets.views import export_filtered
from institute.editorial.history import public_dates, public_record
from institute.listings.paging import listing_context
from institute.sharing import structured_data
from institute.sharing.cite import reference, reference_download
from reforms.selectors import (
    reform_filter_public,
    reform_get_public,
    reform_related_public,
    reform_responses_public,
    retired_topics_redirect,
)


def reform_export(request, fmt):
    if moved := retired_topics_redirect(params=request.GET):
        return redirect(request.path + moved, permanent=True)
    filterset = reform_filter_public(params=request.GET)
    return export_filtered(request, table_name="reforms", filterset=filterset, fmt=fmt)


def reform_list(request):
    if moved := retired_topics_redirect(params=request.GET):
        return redirect(request.path + moved, permanent=True)
    filterset = reform_filter_public(params=request.GET)
    context = listing_context(request, filterset, name="reforms")
    return render(request, "reforms/reform_list.html", context)


def reform_detail(request, slug):
    reform = reform_get_public(slug=slug)
    record = public_dates(reform)
    cite = reference(
        reform,
        url=request.build_absolute_uri(reform.get_absolute_url()),
        kind="reform",
        dates=record,
    )
    work = structured_data.creative_work(
        cite,
        description=reform.summary,
        base_url=request.build_absolute_uri("/"),
        keywords=[reform.get_area_display(), *(t.name for t in reform.topics.all())],
        dataset_url=request.build_absolute_uri(reverse("data")),
    )
    if reform.adopted_on:
        work["dateCreated"] = str(reform.adopted_on)
    return render(
        request,
        "reforms/reform_detail.html",
        {
            "reform": reform,
            "responses": reform_responses_public(reform=reform),
            "related": reform_related_public(reform=reform),
            "cite": cite,
            "structured_data": structured_data.as_script(work),
            "record": record,
        },
    )


def reform_cite(request, slug, fmt):
    """The reform's reference as BibTeX (`cite.bib`) or RIS (`cite.ris`)."""
    reform = reform_get_public(slug=slug)
    return reference_download(request, reform, kind="reform", fmt=fmt)


def reform_history(request, slug):
    """The reform's public history: each version the public saw, what changed, and why."""
    reform = reform_get_public(slug=slug)
    return render(
        request,
        "reforms/reform_history.html",
        {"entry": reform, "events": public_record(reform), "record": public_dates(reform)},
    )
