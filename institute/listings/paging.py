"""The paging and context every public listing shares."""

from __future__ import annotations

from django.core.paginator import Page, Paginator

from institute.listings.filters import FacetedFilterSet

PAGE_SIZE = 25


def listing_context(request, filterset: FacetedFilterSet, *, name: str) -> dict:
    """Page the filtered rows and gather facets, chips and problems for the template."""
    problems = filterset.problems()
    requested = request.GET.get("page", "1")
    page: Page = Paginator(filterset.qs, PAGE_SIZE).get_page(requested)
    if requested not in ("", "1", str(page.number)):
        problems.append(
            f"Ignored page “{requested[:20]}”: there are {page.paginator.num_pages} page(s); "
            f"showing page {page.number}."
        )
    return {
        "filter": filterset,
        "page": page,
        name: page.object_list,
        "facets": filterset.facet_list(),
        "chips": filterset.chips(),
        # The same parameters, without the page: what the download links carry.
        "export_query": filterset.url_with(),
        "problems": problems,
        "query": filterset.cleaned().get("q") or "",
        "sort_key": filterset.form.cleaned_data.get("sort") if filterset.is_valid() else "",
    }
